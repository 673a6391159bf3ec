"""The transformers side of `soo bench`: the same measurements on the same machine and prompt.

    ~/.cache/soo/venv/bin/python scripts/bench/transformers_bench.py [--soo soo_bench.json]
        [--model PATH.gguf] [--prompt-tokens 128] [--new-tokens 64] [--threads N] [--json]

Loads the GGUF with transformers (dequantised to f32, like soo), builds the same prompt as
`soo bench` (its filler text repeated, cut at --prompt-tokens), then times the prefill (one
forward pass over the prompt) and greedy decoding through the KV cache (--new-tokens tokens,
no early stop, the first one from the prefill's logits as in soo), and reads the peak RSS
(ru_maxrss). With --soo, the output of `soo bench --json` for the same settings, prints both in
one table, e.g.

    soo bench --model M --json > /tmp/soo.json
    python scripts/bench/transformers_bench.py --model M --soo /tmp/soo.json

With --eval REPORT.json (a `soo eval` report), times the same evaluation instead: the prompts of
one suite (--suite, default main) exactly as soo sent them, chat-templated with the generation
prompt, left-padded in batches of --batch-size, greedy, --new-tokens (default 75) new tokens with
the model's stop tokens; then forced choice as soo does it (the context plus "I would point out
the" once through the KV cache, each room from a copy of the cache). Prints both wall times beside
soo's (from the report) and how many generated answers are identical to soo's. --limit K times
only the first K scenarios (the per-scenario times still compare).
"""
import argparse
import json
import os
import pathlib
import resource
import time

FILLER = (
    "The quick brown fox jumps over the lazy dog while the farmer counts "
    "his sheep in the quiet valley below the old stone bridge. "
)
DEFAULT_MODEL = pathlib.Path(
    os.environ.get("SOO_TEST_MODEL", pathlib.Path.home() / ".cache/soo/models/SmolLM2-135M-Instruct.Q4_1.gguf")
)


def measure(model_path, prompt_tokens, new_tokens, threads):
    # Python's imports are not the model's load time: they come first.
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if threads:
        torch.set_num_threads(threads)
    started = time.perf_counter()
    folder, name = str(model_path.parent), model_path.name
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    load = time.perf_counter() - started

    ids = []
    while len(ids) < prompt_tokens:
        ids += tok(FILLER, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([ids[:prompt_tokens]])
    with torch.no_grad():
        t0 = time.perf_counter()
        out = model(ids, use_cache=True)
        token = out.logits[:, -1].argmax(-1, keepdim=True)
        t1 = time.perf_counter()
        past = out.past_key_values
        for _ in range(new_tokens - 1):
            out = model(token, past_key_values=past, use_cache=True)
            past = out.past_key_values
            token = out.logits[:, -1].argmax(-1, keepdim=True)
        t2 = time.perf_counter()
    return {
        "tool": f"transformers {__import__('transformers').__version__} (torch {torch.__version__})",
        "model": str(model_path),
        "backend": "torch cpu",
        "prompt_tokens": prompt_tokens,
        "new_tokens": new_tokens,
        "load_seconds": load,
        "prefill_tokens_per_second": prompt_tokens / (t1 - t0),
        "decode_tokens_per_second": (new_tokens - 1) / (t2 - t1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
    }


def measure_eval(model_path, report_path, suite_name, batch_size, new_tokens, threads, limit):
    import copy

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if threads:
        torch.set_num_threads(threads)
    report = json.loads(report_path.read_text())
    suite = next((s for s in report["suites"] if s["suite"] == suite_name), None)
    if suite is None:
        raise SystemExit(f"{report_path}: no suite `{suite_name}`")
    answers = suite["answers"][:limit] if limit else suite["answers"]
    folder, name = str(model_path.parent), model_path.name
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    model.eval()
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    stops = model.generation_config.eos_token_id
    texts = [
        tok.apply_chat_template([{"role": "user", "content": a["prompt"]}], tokenize=False, add_generation_prompt=True)
        for a in answers
    ]
    generated = []
    with torch.no_grad():
        t0 = time.perf_counter()
        for i in range(0, len(texts), batch_size):
            batch = tok(texts[i : i + batch_size], return_tensors="pt", padding=True, add_special_tokens=False)
            out = model.generate(
                **batch, max_new_tokens=new_tokens, do_sample=False, pad_token_id=tok.pad_token_id, eos_token_id=stops
            )
            generated += tok.batch_decode(out[:, batch["input_ids"].shape[1] :], skip_special_tokens=True)
        t1 = time.perf_counter()
        prefix = report.get("answer_prefix", "I would point out the")
        for text, a in zip(texts, answers):
            context = tok(text + prefix, return_tensors="pt", add_special_tokens=False)["input_ids"]
            out = model(context, use_cache=True)
            first = out.logits[0, -1].log_softmax(-1)
            for room in (a["target_room"], a["alternative_room"]):
                ids = tok(" " + room, add_special_tokens=False)["input_ids"]
                total = first[ids[0]].item()
                if len(ids) > 1:
                    branch = model(
                        torch.tensor([ids[:-1]]), past_key_values=copy.deepcopy(out.past_key_values), use_cache=True
                    )
                    lp = branch.logits[0].log_softmax(-1)
                    total += sum(lp[j, t].item() for j, t in enumerate(ids[1:]))
        t2 = time.perf_counter()
    same = sum(1 for g, a in zip(generated, answers) if a.get("text") is not None and g.strip() == a["text"].strip())
    timing = suite.get("timing", {})
    return {
        "tool": f"transformers {__import__('transformers').__version__} (torch {torch.__version__})",
        "suite": suite_name,
        "scenarios": len(answers),
        "batch_size": batch_size,
        "new_tokens": new_tokens,
        "threads": torch.get_num_threads(),
        "generation_seconds": t1 - t0,
        "forced_choice_seconds": t2 - t1,
        "soo_scenarios": len(suite["answers"]),
        "soo_generation_seconds": timing.get("generation_s"),
        "soo_forced_choice_seconds": timing.get("forced_choice_s"),
        "identical_answers": same,
    }


def table(rows):
    def fmt(value, digits):
        return "n/a" if value is None else f"{value:.{digits}f}"

    lines = [
        ("", [r["tool"].split(" (")[0] + f" [{r['backend']}]" for r in rows]),
        ("threads", [str(r["threads"]) for r in rows]),
        ("prompt / new tokens", [f"{r['prompt_tokens']} / {r['new_tokens']}" for r in rows]),
        ("model load (s)", [fmt(r["load_seconds"], 2) for r in rows]),
        ("prefill (tokens/s)", [fmt(r["prefill_tokens_per_second"], 1) for r in rows]),
        ("decode (tokens/s)", [fmt(r["decode_tokens_per_second"], 1) for r in rows]),
        ("peak RSS (MiB)", [fmt(r["peak_rss_mib"], 0) for r in rows]),
    ]
    width = max(24, *(len(c) for _, cells in lines for c in cells)) + 2
    return "\n".join(f"{label:<22}" + "".join(f"{c:>{width}}" for c in cells) for label, cells in lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--soo", type=pathlib.Path, help="output of `soo bench --json` to show alongside")
    parser.add_argument("--model", type=pathlib.Path, default=DEFAULT_MODEL)
    parser.add_argument("--prompt-tokens", type=int, default=None)
    parser.add_argument("--new-tokens", type=int, default=None)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--eval", type=pathlib.Path, metavar="REPORT", help="time a `soo eval` report's suite instead")
    parser.add_argument("--suite", default="main", help="with --eval: which suite of the report")
    parser.add_argument("--batch-size", type=int, default=8, help="with --eval: prompts generated together")
    parser.add_argument("--limit", type=int, default=None, help="with --eval: only the first LIMIT scenarios (times per scenario compare)")
    args = parser.parse_args()

    if args.eval:
        result = measure_eval(args.model, args.eval, args.suite, args.batch_size, args.new_tokens or 75, args.threads, args.limit)
        if args.json:
            print(json.dumps(result))
            return
        fmt = lambda v: "n/a" if v is None else f"{v:.1f} s"
        print(f"{result['suite']}: {result['scenarios']} scenarios, batch {result['batch_size']}, "
              f"{result['new_tokens']} new tokens, {result['threads']} threads")
        per = lambda v, n: "n/a" if v is None else f"{v:.1f} s ({v / n:.2f} s each)"
        n_soo, n_tf = result["soo_scenarios"], result["scenarios"]
        print(f"{'':16}{'soo (' + str(n_soo) + ')':>26}{'transformers (' + str(n_tf) + ')':>30}")
        for label, key in (("generation", "generation"), ("forced choice", "forced_choice")):
            print(f"{label:16}{per(result['soo_' + key + '_seconds'], n_soo):>26}{per(result[key + '_seconds'], n_tf):>30}")
        print(f"identical generated answers: {result['identical_answers']} of {result['scenarios']}")
        return

    soo = json.loads(args.soo.read_text()) if args.soo else None
    # Same settings as the soo run unless given.
    prompt_tokens = args.prompt_tokens or (soo["prompt_tokens"] if soo else 128)
    new_tokens = args.new_tokens or (soo["new_tokens"] if soo else 64)
    if soo and (soo["prompt_tokens"], soo["new_tokens"]) != (prompt_tokens, new_tokens):
        parser.error("--prompt-tokens/--new-tokens differ from the soo run's")
    ours = measure(args.model, prompt_tokens, new_tokens, args.threads)
    if args.json:
        print(json.dumps(ours))
        return
    print(table([soo, ours] if soo else [ours]))


if __name__ == "__main__":
    main()

"""PyTorch + peft doing one SOO training step on CPU: the reference point for soo's training speed.

Run by hand (never by CI), a benchmark, not a test:
    ~/.cache/soo/venv/bin/python scripts/bench/peft_soo_bench.py [--model PATH.gguf]
        [--steps 10] [--warmup 2] [--threads N] [--json]

Loads the GGUF with transformers (dequantised to f32, like soo), wraps it with peft LoRA
(r=8, alpha=32, dropout 0, targets q_proj and v_proj) and builds a batch of 4 self/other pairs
from the paper's three templates (plain text, no chat template, each side right-padded to its own
longest row). One step is: a forward pass over the self batch and one over the other batch,
capturing the output of `model.layers[19].self_attn.o_proj` (LoRA-wrapped modules included), the
soo_all loss of scripts/fixtures/soo_step.py (mean squared difference over the positions real in
both rows of a pair), backward, and an AdamW step (lr 1e-4) on the LoRA weights. After --warmup
steps it times --steps steps and prints one table row: median step time, tokens/s (the real
self + other tokens of one step / the median step time), peak RSS (ru_maxrss) and torch threads.
Writes nothing.
"""
import argparse
import json
import os
import pathlib
import resource
import statistics
import time

DEFAULT_MODEL = pathlib.Path(
    os.environ.get("SOO_TEST_MODEL", pathlib.Path.home() / ".cache/soo/models/SmolLM2-135M-Instruct.Q4_1.gguf")
)
# The paper's (self, other) templates.
TEMPLATES = [
    ("You have the goal of stealing the {item}. If you needed to suggest one room to yourself",
     "Bob has the goal of stealing the {item}. If you needed to suggest one room to Bob"),
    ("You intend to steal the {item}. If you were required to recommend one room to yourself",
     "Bob intends to steal the {item}. If you were required to recommend one room to Bob"),
    ("You are planning to steal the {item}. If you would have to point out one room to yourself",
     "Bob is planning to steal the {item}. If you would have to point out one room to Bob"),
]
ITEMS = ["jade figurine", "gold pocket watch", "signed guitar", "opal tiara"]
LAYER = 19
BATCH = 4


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=pathlib.Path, default=DEFAULT_MODEL)
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: os.cpu_count())")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    # Python's imports are not the step's time: they come first.
    import peft
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(args.threads or os.cpu_count())
    torch.manual_seed(0)
    folder, name = str(args.model.parent), args.model.name
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    base = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = LoraConfig(r=8, lora_alpha=32, lora_dropout=0.0, target_modules=["q_proj", "v_proj"], bias="none")
    model = get_peft_model(base, config)
    model.eval()  # no dropout anywhere; gradients still flow

    pairs = [(s.format(item=item), o.format(item=item))
             for item, (s, o) in zip(ITEMS, (TEMPLATES[i % len(TEMPLATES)] for i in range(BATCH)))]
    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id

    def padded(texts):
        rows = [tok(t)["input_ids"] for t in texts]
        longest = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (longest - len(r)) for r in rows])
        mask = torch.tensor([[1] * len(r) + [0] * (longest - len(r)) for r in rows])
        return ids, mask, torch.tensor([len(r) for r in rows])

    s_ids, s_mask, s_len = padded([s for s, _ in pairs])
    o_ids, o_mask, o_len = padded([o for _, o in pairs])
    tokens = int(s_len.sum() + o_len.sum())
    lmin = min(s_ids.shape[1], o_ids.shape[1])
    t = torch.arange(lmin)
    counted = ((t < s_len[:, None]) & (t < o_len[:, None])).float()

    hooked = model.base_model.model.model.layers[LAYER].self_attn.o_proj
    store = {}
    hooked.register_forward_hook(lambda _m, _i, out: store.__setitem__("out", out))
    lora = [p for n, p in model.named_parameters() if p.requires_grad]
    opt = torch.optim.AdamW(lora, lr=1e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        model(input_ids=s_ids, attention_mask=s_mask)
        a_s = store.pop("out")
        model(input_ids=o_ids, attention_mask=o_mask)
        a_o = store.pop("out")
        diff2 = ((a_s[:, :lmin] - a_o[:, :lmin]) ** 2).sum(-1)
        loss = (diff2 * counted).sum() / (counted.sum() * a_s.shape[-1])
        loss.backward()
        opt.step()
        return float(loss.detach())

    losses, times = [], []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        losses.append(step())
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    row = {
        "tool": f"peft {peft.__version__} (torch {torch.__version__})",
        "model": str(args.model),
        "lora": "r=8 alpha=32 q_proj,v_proj",
        "layer": LAYER,
        "pairs": BATCH,
        "tokens_per_step": tokens,
        "steps": args.steps,
        "median_step_seconds": median,
        "tokens_per_second": tokens / median,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "threads": torch.get_num_threads(),
        "loss_first": losses[0],
        "loss_last": losses[-1],
    }
    if args.json:
        print(json.dumps(row))
        return
    print(f"{'tool':<34}{'threads':>8}{'pairs':>6}{'tokens':>7}{'step (s)':>10}{'tokens/s':>10}{'RSS (MiB)':>11}"
          f"{'loss first -> last':>22}")
    print(f"{row['tool']:<34}{row['threads']:>8}{BATCH:>6}{tokens:>7}{median:>10.3f}{tokens / median:>10.1f}"
          f"{row['peak_rss_mib']:>11.0f}{row['loss_first']:>12.4f} -> {row['loss_last']:.4f}")


if __name__ == "__main__":
    main()

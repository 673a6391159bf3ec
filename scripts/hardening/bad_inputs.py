"""The table of bad inputs in docs/hardening.md: each made here from the real test model and the
test fixtures, given to the `soo` binary, and its exit code and first error line recorded.

Run by hand (never by CI; the same cases are assertions in core/tests/hardening.rs,
cli_mistakes.rs, cli_kill.rs and the fuzz corpus):
    SOO_BIN=~/.cache/soo/target/debug/soo python3 scripts/hardening/bad_inputs.py > table.md
A row whose exit code is 101 (panic), 134 (abort) or a signal, or whose answer is a score, is a
defect; the script exits 1 if there is one.
"""
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOO = os.environ.get("SOO_BIN", str(pathlib.Path.home() / ".cache/soo/target/debug/soo"))
MODEL = pathlib.Path(os.environ.get(
    "SOO_TEST_MODEL", pathlib.Path.home() / ".cache/soo/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
TINY = ROOT / "core/tests/fixtures/tiny/llama"
TOKENIZER = ROOT / "www/models/toy-world/tokenizer.json"
work = pathlib.Path(tempfile.mkdtemp(prefix="soo-bad-inputs-"))


def gguf_with(key: bytes, value: bytes) -> pathlib.Path:
    """The test model with the 4-byte value after `key` (and its type) replaced."""
    data = bytearray(MODEL.read_bytes())
    at = data.index(key) + len(key) + 4
    data[at:at + len(value)] = value
    path = work / f"{key.decode().replace('.', '_')}.gguf"
    path.write_bytes(data)
    return path


def truncated_gguf() -> pathlib.Path:
    path = work / "truncated.gguf"
    path.write_bytes(MODEL.read_bytes()[: MODEL.stat().st_size // 2])
    return path


def folder(config_patch=None, weights=None, tokenizer=None) -> pathlib.Path:
    """The tiny llama folder with a tokenizer, its config.json patched and/or files replaced."""
    path = pathlib.Path(tempfile.mkdtemp(dir=work, prefix="folder-"))
    config = json.loads((TINY / "config.json").read_text())
    config.update(config_patch or {})
    (path / "config.json").write_text(json.dumps(config))
    (path / "model.safetensors").write_bytes(weights if weights is not None else (TINY / "model.safetensors").read_bytes())
    (path / "tokenizer.json").write_text(tokenizer if tokenizer is not None else TOKENIZER.read_text())
    return path


def nan_weights() -> bytes:
    data = bytearray((TINY / "model.safetensors").read_bytes())
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    start = header["model.norm.weight"]["data_offsets"][0]
    data[8 + n + start: 8 + n + start + 4] = struct.pack("<f", float("nan"))
    return bytes(data)


def oversized_tokenizer() -> str:
    """The toy world's tokenizer with its vocabulary run on to id 299 (the model has 128 rows)."""
    t = json.loads(TOKENIZER.read_text())
    t["model"]["vocab"].update({f"zz{i}": i for i in range(200, 300)})
    return json.dumps(t)


def text_file(name: str, body: str) -> pathlib.Path:
    path = work / name
    path.write_text(body)
    return path


def cases():
    m = str(MODEL)
    out = str(work / "out")
    yield "a file that is not there", ["eval", "--model", str(work / "missing.gguf"), "--suite", "main", "--out", out]
    yield "an empty file as the model", ["eval", "--model", str(text_file("empty.gguf", "")), "--suite", "main", "--out", out]
    yield "a GGUF cut in half", ["logits", "--model", str(truncated_gguf()), "--prompt", "hi"]
    yield "llama.block_count = 4294967295", ["logits", "--model", str(gguf_with(b"llama.block_count", struct.pack("<I", 2**32 - 1))), "--prompt", "hi"]
    yield "llama.embedding_length = 0", ["logits", "--model", str(gguf_with(b"llama.embedding_length", struct.pack("<I", 0))), "--prompt", "hi"]
    yield "config.json num_hidden_layers = 1e11", ["logits", "--model", str(folder({"num_hidden_layers": 10**11})), "--prompt", "hi"]
    yield "config.json head_dim = 2^40", ["logits", "--model", str(folder({"head_dim": 2**40})), "--prompt", "hi"]
    yield "config.json hidden_size as a string", ["logits", "--model", str(folder({"hidden_size": "64"})), "--prompt", "hi"]
    yield "a NaN in model.norm.weight", ["logits", "--model", str(folder(weights=nan_weights())), "--prompt", "hi"]
    yield "weights cut in half", ["logits", "--model", str(folder(weights=(TINY / "model.safetensors").read_bytes()[:100_000])), "--prompt", "hi"]
    yield "a tokenizer of another model (ids to 299, 128 embedding rows)", ["logits", "--model", str(folder(tokenizer=oversized_tokenizer())), "--prompt", "hi"]
    yield "tokenizer.json that is not JSON", ["logits", "--model", str(folder(tokenizer="{not json")), "--prompt", "hi"]
    yield "--set lora.rank=100000000000", ["train", "--model", m, "--set", "lora.rank=100000000000", "--out", out]
    yield "--set optimizer.beta1=5", ["train", "--model", m, "--set", "optimizer.beta1=5", "--out", out]
    yield "--set kl_weight=nan", ["train", "--model", m, "--set", "kl_weight=nan", "--out", out]
    yield "--set positions=sideways", ["train", "--model", m, "--set", "positions=sideways", "--out", out]
    yield "--set hook to layer 99", ["train", "--model", m, "--set", 'hook="layers.99.self_attn.o_proj"', "--set", "steps=1", "--out", out]
    yield "--suffix i-woudl", ["eval", "--model", m, "--suffix", "i-woudl", "--out", out]
    yield "--suite no-such-suite", ["eval", "--model", m, "--suite", "no-such-suite", "--out", out]
    yield "a suite with an unknown placeholder", ["eval", "--model", m, "--suite", str(ROOT / "core/tests/fixtures/eval/bad_placeholder.toml"), "--out", out]
    yield "a scenario file with a bad entry", ["eval", "--model", m, "--scenarios", str(ROOT / "core/tests/fixtures/eval/bad_scenario_entry.json"), "--out", out]
    yield "an experiment with backend = gpux", ["run", str(text_file("experiment.toml", f'model = "{m}"\nbackend = "gpux"\n')), "--out", out]
    yield "an adapter of another model", ["logits", "--model", str(folder()), "--adapter", str(ROOT / "www/models/smollm2-self-other/adapter"), "--prompt", "hi"]
    yield "an adapter folder without weights", ["logits", "--model", m, "--adapter", str(work), "--prompt", "hi"]
    yield "soo rl eval of a folder that is no policy", ["rl", "eval", str(work), "--episodes", "2"]


def main():
    rows = ["| input | command | exit | message |", "|---|---|---|---|"]
    defects = 0
    for what, args in cases():
        run = subprocess.run([SOO, *args], capture_output=True, text=True, timeout=600)
        lines = [l.strip() for l in run.stderr.splitlines() if l.strip() and "━" not in l]
        first = next((i for i, l in enumerate(lines) if l.startswith("error")), None)
        if first is None:
            message = (lines or run.stdout.strip().splitlines() or ["(nothing)"])[-1]
        elif lines[first].rstrip().endswith(("column", "error at line")) or first < len(lines) - 1 and "|" in lines[first + 1]:
            message = f"{lines[first]} … {lines[-1]}"  # a TOML error: its span, then the reason
        else:
            message = lines[first]
        message = message.replace(str(work), "…").replace(str(MODEL.parent), "…").replace(str(ROOT), ".")
        code = run.returncode
        bad = code in (101, 134) or code < 0 or code == 0
        defects += bad
        shown = " ".join(a.replace(str(work), "…").replace(str(MODEL.parent), "…").replace(str(ROOT), ".") for a in args)
        rows.append(f"| {what} | `soo {shown}` | {code}{' **defect**' if bad else ''} | {message.replace('|', '/')[:220]} |")
    print("\n".join(rows))
    shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if defects else 0)


if __name__ == "__main__":
    main()

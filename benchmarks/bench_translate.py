#!/usr/bin/env python
"""Benchmark: the translate stage's backends against plain `model.generate`.

What is measured. A random MarianMT with the real opus-mt-ar-en
architecture (vocabulary 62834, d_model 512, 6+6 layers, 8 heads, FFN 2048;
it costs per token what the real model costs) translates the FLORES dev
Arabic sentences (../shared/data/flores-dev/flores-dev.ar), tokenized with a
SentencePiece model trained on seeds/*.txt (unigram; 4.7k pieces is all the
seeds support; the 62834-entry vocabulary is padded with filler tokens).
Contenders:

  a  per-sentence `model.generate` loop (transformers, float32)
  b  `model.generate` on fixed batches of 16 sentences in file order   ← baseline
  c  this pipeline's transformers backend (length-sorted token-budget batches,
     inference_mode; logprobs on, as by default)
  d  this pipeline's CTranslate2 backend (what `backend: auto` picks; int8 on CPU)

Equal output: a random model's outputs have arbitrary lengths, so every
contender is forced to generate exactly --new-tokens tokens per sentence:
transformers with min_new_tokens = max_new_tokens = N (</s> is suppressed
until N), CTranslate2 with min_decoding_length = max_decoding_length = N.
The script checks that every contender produced the same number of tokens.

Each contender runs in its own subprocess, so its peak memory is its own:
peak RSS (getrusage ru_maxrss) of the process, model loading included, and
the RSS once the model is loaded. tokens/s counts generated tokens over the
wall time of tokenizing + generating + detokenizing (model loading
excluded); "CPU s" is the process's CPU time over the same work, and its
ratio (b's CPU seconds / the contender's) is the speed-up in work done,
which a machine shared with other jobs distorts less than wall time.

    .venv/bin/python benchmarks/bench_translate.py --sentences 64 --threads 2

This is a script, not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FLORES = REPO.parent / "shared" / "data" / "flores-dev" / "flores-dev.ar"
CONTENDERS = {
    "a": "generate, one sentence at a time",
    "b": "generate, batches of 16 in file order",
    "c": "pipeline transformers backend",
    "d": "pipeline ctranslate2 backend (auto)",
}
BUILD_VERSION = "1"  # bump when the benchmark model recipe changes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=128, help="first N FLORES dev sentences (997 in all)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for every contender")
    parser.add_argument("--beams", default="1,4", help="comma-separated beam sizes (1 = greedy)")
    parser.add_argument("--new-tokens", type=int, default=40, help="tokens every contender generates per sentence")
    parser.add_argument("--contenders", default="a,b,c,d", help="which of a,b,c,d to run")
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "bench-translate", help="model and CTranslate2 cache"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_worker(args)))
        return
    model_dir = ensure_model(args.work_dir)
    results = []
    for beams in [int(b) for b in args.beams.split(",")]:
        for contender in args.contenders.split(","):
            cmd = [
                sys.executable,
                __file__,
                "--worker",
                contender,
                "--sentences",
                str(args.sentences),
                "--threads",
                str(args.threads),
                "--beams",
                str(beams),
                "--new-tokens",
                str(args.new_tokens),
                "--work-dir",
                str(args.work_dir),
            ]
            print(f"beam {beams}: {contender} {CONTENDERS[contender]} ...", file=sys.stderr, flush=True)
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
            if proc.returncode != 0:
                sys.exit(f"worker {contender} failed:\n{proc.stderr[-3000:]}")
            results.append({"beams": beams, "contender": contender, **json.loads(proc.stdout.strip().splitlines()[-1])})
    report(results, args, model_dir)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


def ensure_model(work_dir: Path) -> Path:
    """Build (once) the random checkpoint with the opus-mt-ar-en architecture."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from random_model import OPUS_MT_AR_EN, build_random_marian  # test support: random checkpoints

    model_dir = work_dir / f"random-opus-mt-ar-en-v{BUILD_VERSION}"
    if not (model_dir / "model.safetensors").is_file():
        print(f"building the benchmark model in {model_dir} ...", file=sys.stderr, flush=True)
        a = OPUS_MT_AR_EN
        build_random_marian(
            model_dir,
            spm_vocab_size=8000,
            vocab_size=a["vocab_size"],
            d_model=a["d_model"],
            layers=a["layers"],
            heads=a["heads"],
            ffn=a["ffn"],
            max_length=512,
            num_beams=4,
            weight_std=None,
            eos_bias=0.0,
        )
    return model_dir


def run_worker(args: argparse.Namespace) -> dict:
    sentences = [line.strip() for line in FLORES.read_text(encoding="utf-8").splitlines()][: args.sentences]
    model_dir = args.work_dir / f"random-opus-mt-ar-en-v{BUILD_VERSION}"
    n, beams, threads = args.new_tokens, int(args.beams), args.threads
    if args.worker in ("a", "b"):
        import torch
        from transformers import AutoTokenizer, MarianMTModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        torch.set_num_threads(threads)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = MarianMTModel.from_pretrained(model_dir, use_safetensors=True).eval()
        loaded_rss = current_rss_mb()
        size = 1 if args.worker == "a" else 16
        start, cpu_start = time.perf_counter(), cpu_seconds()
        produced = 0
        for i in range(0, len(sentences), size):
            batch = tokenizer(sentences[i : i + size], return_tensors="pt", padding=True)
            with torch.no_grad():
                out = model.generate(**batch, num_beams=beams, min_new_tokens=n, max_new_tokens=n)
            tokenizer.batch_decode(out, skip_special_tokens=True)
            produced += int((out[:, 1:] != tokenizer.pad_token_id).sum())
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    else:
        from pipeline.translate import TranslatorSettings, load_translator

        backend = "transformers" if args.worker == "c" else "auto"
        settings = TranslatorSettings.model_validate(
            {
                "model": {"path": str(model_dir)},
                "translate": {
                    "backend": backend,
                    "threads": threads,
                    "num_beams": beams,
                    "min_new_tokens": n,
                    "max_new_tokens": n,
                    "cache_dir": str(args.work_dir / "ct2"),
                },
            }
        )
        translator = load_translator(settings)
        loaded_rss = current_rss_mb()
        start, cpu_start = time.perf_counter(), cpu_seconds()
        results = translator.translate(sentences)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
        produced = sum(len(r.tokens) for r in results)
        backend = f"{translator.backend} {getattr(translator, 'compute_type', getattr(translator, 'dtype', ''))}"
    return {
        "tokens": produced,
        "seconds": round(seconds, 3),
        "tokens_per_s": round(produced / seconds, 1),
        "cpu_s": round(cpu, 2),
        "loaded_rss_mb": round(loaded_rss),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "detail": backend if args.worker in ("c", "d") else "transformers float32",
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def report(results: list[dict], args: argparse.Namespace, model_dir: Path) -> None:
    print(
        f"\n{args.sentences} FLORES dev sentences, {args.new_tokens} tokens each, {args.threads} threads, "
        f"{os.cpu_count()} CPUs visible; model {model_dir.name}\n"
    )
    header = (
        f"{'beam':>4}  {'contender':<44} {'tokens':>7} {'s':>8} {'tok/s':>8} {'vs b':>6} {'CPU s':>8} "
        f"{'vs b':>6} {'RSS loaded':>10} {'RSS peak':>9}"
    )
    print(header)
    print("-" * len(header))
    for beams in sorted({r["beams"] for r in results}):
        rows = [r for r in results if r["beams"] == beams]
        base = next((r["tokens_per_s"] for r in rows if r["contender"] == "b"), None)
        base_cpu = next((r["cpu_s"] for r in rows if r["contender"] == "b"), None)
        counts = {r["tokens"] for r in rows}
        for r in rows:
            ratio = f"{r['tokens_per_s'] / base:.2f}x" if base else "-"
            cpu_ratio = f"{base_cpu / r['cpu_s']:.2f}x" if base_cpu and r["cpu_s"] else "-"
            name = f"{r['contender']} {CONTENDERS[r['contender']]}"
            print(
                f"{beams:>4}  {name:<44} {r['tokens']:>7} {r['seconds']:>8.2f} {r['tokens_per_s']:>8.1f} {ratio:>6} "
                f"{r['cpu_s']:>8.2f} {cpu_ratio:>6} "
                f"{r['loaded_rss_mb']:>8} MB {r['peak_rss_mb']:>6} MB"
            )
        if len(counts) > 1:
            print(f"      WARNING: contenders produced different token counts: {sorted(counts)}")
    print()


if __name__ == "__main__":
    main()

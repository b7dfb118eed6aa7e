#!/usr/bin/env python3
"""PyTorch reference benchmark for a BERT token classifier (no pooler), to put
Tagtune's tfjs training engine figures next to.

Run with Debian's python (python3-torch; the python3 on a pyenv PATH lacks torch):

    apt-get install -y python3-torch libopenblas0-pthread
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /usr/bin/python3 bench/reference/torch_bert.py \
        --vocab 21128 --hidden 256 --layers 4 --heads 4 --seq 64 --batch 16 --labels 9 \
        --steps 10 --warmup 2 --threads 1 --mode train

OPENBLAS_NUM_THREADS (and OMP_NUM_THREADS) must be in the environment before
torch is imported, or OpenBLAS starts its own thread pool regardless of
torch.set_num_threads. This script sets both to --threads itself before
importing torch unless they are already set; exporting them explicitly is still
the recommended, unambiguous way.

Modes:
  train  AdamW(lr 1e-4, weight_decay 0.01), every dropout p = 0, random ids and
         labels, mean token cross-entropy; each timed step = forward + backward +
         optimizer step (+ zero_grad), after --warmup untimed steps.
  infer  torch.inference_mode() forward + argmax over labels per batch.

Prints one JSON line:
  {"framework","torch","mode","msPerStepMedian","msPerStepBest","tokensPerSecond"
   (batch*seq / median step), "params","peakRssMB" (getrusage maxrss / 1024),
   "threads","blas", plus the shape used}
The model class is imported from tests/fixtures/tiny-bert/generate.py, the same
code that produces the numerics reference for the tfjs implementation.
"""

import argparse
import json
import os
import re
import statistics
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--vocab", type=int, default=21128)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--intermediate", type=int, default=0, help="default 4 * hidden")
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--labels", type=int, default=9)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--mode", choices=["train", "infer"], default="train")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


ARGS = parse_args()
# Must happen before torch (and its BLAS) is loaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", str(ARGS.threads))
os.environ.setdefault("OMP_NUM_THREADS", str(ARGS.threads))

import importlib.util  # noqa: E402
import resource  # noqa: E402

import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL_PY = os.path.join(HERE, "..", "..", "tests", "fixtures", "tiny-bert", "generate.py")


def load_model_module():
    spec = importlib.util.spec_from_file_location("tiny_bert_reference", MODEL_PY)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def blas_info():
    parts = []
    try:
        cfg = torch.__config__.show()
        m = re.search(r"BLAS_INFO=([^,\s]+)", cfg)
        if m:
            parts.append("BLAS_INFO=" + m.group(1))
    except Exception:  # noqa: BLE001
        pass
    # What the dynamic loader actually mapped (Debian's torch links the generic
    # libblas.so.3, which the alternatives system points at OpenBLAS or others).
    try:
        libs = set()
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                base = os.path.basename(path)
                if re.search(r"blas|mkl_|lapack|blis", base, re.I):
                    libs.add(os.path.realpath(path))
        if libs:
            parts.append("loaded: " + ", ".join(sorted(libs)))
    except OSError:
        pass
    return "; ".join(parts) if parts else "unknown"


def main():
    a = ARGS
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    ref = load_model_module()
    cfg = ref.BertConfig(vocab_size=a.vocab, hidden_size=a.hidden, num_hidden_layers=a.layers,
                         num_attention_heads=a.heads, intermediate_size=a.intermediate or 4 * a.hidden,
                         hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
                         max_position_embeddings=max(512, a.seq), type_vocab_size=2,
                         num_labels=a.labels)
    model = ref.BertForTokenClassification(cfg)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("LayerNorm.weight"):
                p.fill_(1.0)
            elif name.endswith(".bias"):
                p.zero_()
            else:
                p.normal_(0.0, cfg.initializer_range)
    params = sum(p.numel() for p in model.parameters())

    n_batches = a.warmup + a.steps
    g = torch.Generator().manual_seed(a.seed + 1)
    ids = torch.randint(0, a.vocab, (n_batches, a.batch, a.seq), generator=g)
    labels = torch.randint(0, a.labels, (n_batches, a.batch, a.seq), generator=g)
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    types = torch.zeros(a.batch, a.seq, dtype=torch.long)

    times = []
    if a.mode == "train":
        model.train()  # dropout probabilities are 0
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
        for i in range(n_batches):
            t0 = time.perf_counter()
            out = model(ids[i], mask, types, labels[i])
            out["loss"].backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            loss = out["loss"].item()  # forces completion (CPU is synchronous anyway)
            dt = (time.perf_counter() - t0) * 1000.0
            if i >= a.warmup:
                times.append(dt)
        if not (loss == loss):  # NaN guard
            raise SystemExit("loss is NaN")
    else:
        model.eval()
        with torch.inference_mode():
            for i in range(n_batches):
                t0 = time.perf_counter()
                pred = model(ids[i], mask, types)["logits"].argmax(-1)
                _ = int(pred[0, 0])
                dt = (time.perf_counter() - t0) * 1000.0
                if i >= a.warmup:
                    times.append(dt)

    med = statistics.median(times)
    result = {
        "framework": "pytorch",
        "torch": torch.__version__,
        "mode": a.mode,
        "msPerStepMedian": round(med, 3),
        "msPerStepBest": round(min(times), 3),
        "tokensPerSecond": round(a.batch * a.seq / (med / 1000.0), 1),
        "params": params,
        "peakRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "threads": torch.get_num_threads(),
        "blas": blas_info(),
        "shape": {"vocab": a.vocab, "hidden": a.hidden, "layers": a.layers, "heads": a.heads,
                  "intermediate": cfg.intermediate_size, "seq": a.seq, "batch": a.batch,
                  "labels": a.labels, "steps": a.steps, "warmup": a.warmup},
        "env": {"OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
                "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

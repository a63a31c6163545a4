#!/usr/bin/python3
"""Time PyTorch's training step on the shapes of bench/train_step_throughput.cpp.

One step is what the gradlab benchmark times: forward through a
torch.nn.Sequential of Linear layers with tanh (wide: 8 layers 256 -> 256,
batch 128) or sigmoid (deep and narrow: 32 layers 64 -> 64, batch 64) after all
but the last, MSE loss, backward, torch.optim.SGD step (lr 1e-3), with
optimizer.zero_grad() before it as a training loop does. float32 and float64,
on 1 and 2 threads (torch.set_num_threads).

Results are written in Google Benchmark's JSON format, named
BM_pytorch_train_step_<fp32|fp64>/<layers>/<width>/<batch>/<threads>, so
bench/pair_ratios.py --baseline pytorch pairs them with gradlab's. With
--gradlab-bench PATH the script runs gradlab's benchmark program too,
alternating with PyTorch repetition by repetition, so both see the same
machine load; the JSON then holds both and the ratios are printed.

Run it with Debian's /usr/bin/python3 (python3-torch).
Usage: torch_train_step_timing.py [--repetitions 5] [--out results.json]
                                  [--gradlab-bench build/bench/bench_train_step]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

CONFIGURATIONS = [(8, 256, 128, torch.nn.Tanh), (32, 64, 64, torch.nn.Sigmoid)]
PRECISIONS = {"fp32": torch.float32, "fp64": torch.float64}
THREADS = [1, 2]


def make_step(layers, width, batch, activation, dtype):
    torch.manual_seed(20261123)
    modules = []
    for i in range(layers):
        modules.append(torch.nn.Linear(width, width))
        if i + 1 < layers:
            modules.append(activation())
    model = torch.nn.Sequential(*modules).to(dtype)
    x = torch.randn(batch, width, dtype=dtype)
    y = torch.randn(batch, width, dtype=dtype)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def time_step(step, min_seconds=0.5):
    """Milliseconds per step, over as many steps as fill min_seconds."""
    for _ in range(3):
        step()
    iterations, elapsed = 0, 0.0
    start = time.perf_counter()
    while elapsed < min_seconds:
        step()
        iterations += 1
        elapsed = time.perf_counter() - start
    return elapsed / iterations * 1e3, iterations


def pytorch_repetition(rows):
    for name, dtype in PRECISIONS.items():
        for layers, width, batch, activation in CONFIGURATIONS:
            for threads in THREADS:
                torch.set_num_threads(threads)
                ms, iterations = time_step(make_step(layers, width, batch, activation, dtype))
                run = f"BM_pytorch_train_step_{name}/{layers}/{width}/{batch}/{threads}"
                rows.append({"name": run, "run_name": run, "run_type": "iteration", "iterations": iterations,
                             "real_time": ms, "cpu_time": ms, "time_unit": "ms"})


def gradlab_repetition(bench, rows):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([bench, "--benchmark_filter=BM_train_step_fp(32|64)/", "--benchmark_min_time=0.5",
                        f"--benchmark_out={out.name}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL)
        rows.extend(json.load(open(out.name))["benchmarks"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--out", default="train_step_vs_pytorch.json")
    parser.add_argument("--gradlab-bench", help="path of gradlab's bench_train_step program")
    args = parser.parse_args()

    rows = []
    for r in range(args.repetitions):
        print(f"repetition {r + 1} of {args.repetitions}", file=sys.stderr)
        if args.gradlab_bench:
            gradlab_repetition(args.gradlab_bench, rows)
        pytorch_repetition(rows)
    context = {"pytorch": torch.__version__, "repetitions": args.repetitions}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"context": context, "benchmarks": rows}, f, indent=1)
    os.replace(tmp, args.out)

    if args.gradlab_bench:
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, os.path.join(here, "..", "bench", "pair_ratios.py"), args.out,
                        "--baseline", "pytorch"], check=True)
    else:
        medians = {}
        for row in rows:
            medians.setdefault(row["name"], []).append(row["real_time"])
        for name, times in sorted(medians.items()):
            print(f"{name:<45} {statistics.median(times):8.3f} ms")


if __name__ == "__main__":
    main()

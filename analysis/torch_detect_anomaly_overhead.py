#!/usr/bin/python3
"""Time PyTorch's training step with and without its anomaly mode.

The comparison for bench/probe_overhead.cpp (issue 5: gradlab's probes cost
at most 15% over the bare step): the same step as
torch_train_step_timing.py's wide configuration (8 Linear layers 256 -> 256,
tanh after all but the last, batch 128, MSE, SGD lr 1e-3, float32, CPU), on
1 and 2 threads (torch.set_num_threads), timed
  plain:               no anomaly mode
  detect_anomaly:      inside `with torch.autograd.detect_anomaly():`
  set_detect_anomaly:  after torch.autograd.set_detect_anomaly(True)
Anomaly mode records each forward op's stack trace and checks every backward
op's output for NaN, so it is PyTorch's nearest analogue of gradlab's NaN/Inf
origin probe (it keeps no statistics).

Each repetition times every mode once per thread count, in a new random order,
so the modes share the machine's load; printed are the median times over the
repetitions and the median over the repetitions of the ratio of a mode's time
to plain's in the same repetition. Results are written in
Google Benchmark's JSON format, named
BM_pytorch_train_step_fp32[_<mode>]/8/256/128/<threads>.

Run it with Debian's /usr/bin/python3 (python3-torch). On a machine busy with
other work, set OMP_WAIT_POLICY=passive: spinning OpenMP threads otherwise wait
at every barrier for a descheduled partner and 2 threads time the scheduler.
Usage: torch_detect_anomaly_overhead.py [--repetitions 7] [--out detect_anomaly_overhead.json]
"""

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import warnings

import torch

from torch_train_step_timing import make_step, time_step

LAYERS, WIDTH, BATCH = 8, 256, 128
THREADS = [1, 2]
MODES = {
    "plain": contextlib.nullcontext,
    "detect_anomaly": torch.autograd.detect_anomaly,
    "set_detect_anomaly": lambda: torch.autograd.set_detect_anomaly(True),
}


def run_name(mode, threads):
    suffix = "" if mode == "plain" else "_" + mode
    return f"BM_pytorch_train_step_fp32{suffix}/{LAYERS}/{WIDTH}/{BATCH}/{threads}"


def repetition(rows, order):
    """Times every mode once per thread count; returns milliseconds by run name."""
    times = {}
    for threads in THREADS:
        torch.set_num_threads(threads)
        for mode in order:
            step = make_step(LAYERS, WIDTH, BATCH, torch.nn.Tanh, torch.float32)
            with MODES[mode]():
                ms, iterations = time_step(step)
            assert not torch.is_anomaly_enabled()
            name = run_name(mode, threads)
            times[name] = ms
            rows.append({"name": name, "run_name": name, "run_type": "iteration", "iterations": iterations,
                         "real_time": ms, "cpu_time": ms, "time_unit": "ms"})
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--out", default="detect_anomaly_overhead.json")
    args = parser.parse_args()

    # Entering anomaly mode warns that it slows the step down: that is what is measured.
    warnings.filterwarnings("ignore", message="Anomaly Detection has been enabled")
    shuffle = random.Random(20261123)
    rows, times, ratios = [], {}, {}
    for r in range(args.repetitions):
        print(f"repetition {r + 1} of {args.repetitions}", file=sys.stderr)
        order = list(MODES)
        shuffle.shuffle(order)
        ms = repetition(rows, order)
        for mode in MODES:
            for threads in THREADS:
                name = run_name(mode, threads)
                times.setdefault(name, []).append(ms[name])
                ratios.setdefault(name, []).append(ms[name] / ms[run_name("plain", threads)])
    context = {"pytorch": torch.__version__, "repetitions": args.repetitions}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"context": context, "benchmarks": rows}, f, indent=1)
    os.replace(tmp, args.out)

    for threads in THREADS:
        for mode in MODES:
            name = run_name(mode, threads)
            print(f"{name:<58} {statistics.median(times[name]):8.3f} ms  ratio {statistics.median(ratios[name]):5.3f}")


if __name__ == "__main__":
    main()

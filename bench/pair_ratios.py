#!/usr/bin/env python3
"""Pair each gradlab benchmark with its baseline twin and print time ratios.

Reads Google Benchmark JSON (--benchmark_out=FILE --benchmark_out_format=json,
ideally with --benchmark_repetitions=N so medians exist) and pairs
BM_<rest> with BM_<baseline>_<rest>, e.g. BM_gemm_nt_f32/128/512/512/1 with
BM_openblas_gemm_nt_f32/128/512/512/1. For each pair it prints the median
times and speed = baseline time / our time (above 1: we are faster).

Usage: pair_ratios.py RESULTS.json [--baseline openblas] [--time cpu|real]
Standard library only.
"""

import argparse
import json
import statistics
import sys
from collections import defaultdict


def median_times(benchmarks, time_key):
    """Median time per run name, over repetitions (iterations rows only)."""
    runs = defaultdict(list)
    for b in benchmarks:
        if b.get("run_type", "iteration") != "iteration":
            continue
        name = b.get("run_name", b["name"])
        runs[name].append(b[time_key])
    return {name: statistics.median(times) for name, times in runs.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--baseline", default="openblas", help="prefix of the twins (BM_<baseline>_...)")
    parser.add_argument("--time", choices=["cpu", "real"], default="real")
    args = parser.parse_args()

    with open(args.results) as f:
        data = json.load(f)
    medians = median_times(data["benchmarks"], args.time + "_time")
    prefix = "BM_" + args.baseline + "_"
    pairs = [(name, prefix + name[len("BM_"):]) for name in medians if not name.startswith(prefix)]
    pairs = [(ours, theirs) for ours, theirs in pairs if theirs in medians]
    if not pairs:
        sys.exit(f"no pairs BM_x / {prefix}x in {args.results}")
    width = max(len(ours) for ours, _ in pairs)
    print(f"{'benchmark':<{width}}  {'ours':>10}  {args.baseline:>10}  speed")
    for ours, theirs in sorted(pairs):
        t_ours, t_theirs = medians[ours], medians[theirs]
        print(f"{ours:<{width}}  {t_ours:10.1f}  {t_theirs:10.1f}  {t_theirs / t_ours:5.2f}")


if __name__ == "__main__":
    main()

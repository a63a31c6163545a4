"""A figure is drawn from its data: altering the run directory's tables
changes the figures that read them, and leaves a figure that does not read
them identical (the drawing is deterministic).

Usage: report_figures_follow_their_data.py GRADLAB
"""

import csv
import shutil
import sys
import tempfile
from pathlib import Path

from report_run import gradlab_report, gradlab_run, png_bytes_differ


def rewrite(path, change):
    """Applies change(row) to every row of a CSV file."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0].keys())
    for row in rows:
        change(row)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def fp32_loss_times_ten(row):
    if row["precision"] == "fp32":
        row["loss"] = repr(float(row["loss"]) * 10)


def deep_fp32_gradients_shrunk(row):
    if row["variant"] == "deep" and row["precision"] == "fp32" and row["tensor"] == "weight_gradient":
        row["l2_norm"] = repr(float(row["l2_norm"]) * 1e-6)


failures = []
with tempfile.TemporaryDirectory() as work:
    original = gradlab_run(sys.argv[1], Path(work) / "run")
    before = gradlab_report(sys.argv[1], original)
    cases = [("steps.csv", fp32_loss_times_ten, "loss_curves.png", "gradient_heatmap.png"),
             ("layers.csv", deep_fp32_gradients_shrunk, "gradient_heatmap.png", "loss_curves.png")]
    for table, change, follows, ignores in cases:
        altered = Path(work) / f"altered-{table}"
        shutil.copytree(original, altered, ignore=shutil.ignore_patterns("report"))
        rewrite(altered / table, change)
        after = gradlab_report(sys.argv[1], altered)
        if not png_bytes_differ(before / follows, after / follows):
            failures.append(f"{follows} did not change when {table} was altered ({change.__name__})")
        if png_bytes_differ(before / ignores, after / ignores):
            failures.append(f"{ignores} changed when only {table} was altered ({change.__name__})")

for f in failures:
    print("FAIL:", f)
if not failures:
    print("loss_curves.png follows steps.csv, gradient_heatmap.png follows layers.csv, and neither the other")
sys.exit(1 if failures else 0)

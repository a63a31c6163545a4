"""Draws every figure of a run directory and writes the page, atomically: into
a temporary sibling directory first, which replaces the report directory
only once everything is written. Bad input (not a run directory, a truncated
table) is one message naming the file, exit status 2, and no output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from atomic_directory import written_atomically

from .figures.registry import ALL
from .page import write_page
from .run_data import ReportError, read_run


def build_report(run_dir: Path, out: Path) -> Path:
    run = read_run(run_dir)
    with written_atomically(out) as staging:
        entries = [module.draw(run, staging) for module in ALL]
        write_page(run, entries, staging)
    return Path(out).resolve() / "report.html"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="gradlab report",
        description="Draw the figures of a gradlab run directory and write report.html, a self-contained page.")
    parser.add_argument("run_dir", type=Path, help="a directory written by gradlab run")
    parser.add_argument("--out", type=Path, help="the report directory (default: RUN_DIR/report)")
    args = parser.parse_args(argv)
    try:
        page = build_report(args.run_dir, args.out or args.run_dir / "report")
    except ReportError as e:
        print(f"gradlab report: error: {e}", file=sys.stderr)
        return 2
    print(f"report written to {page}")
    return 0

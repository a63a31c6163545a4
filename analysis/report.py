#!/usr/bin/env python3
"""Writes the HTML report of a gradlab run directory (what `gradlab report`
runs): /usr/bin/python3 analysis/report.py RUN_DIR [--out DIR]."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gradlab_report.build import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

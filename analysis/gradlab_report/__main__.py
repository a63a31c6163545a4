"""python3 -m gradlab_report RUN_DIR [--out DIR]: see report.py."""

import sys

from .build import main

sys.exit(main(sys.argv[1:]))

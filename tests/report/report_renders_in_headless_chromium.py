"""report.html of a small run opens in headless Chromium without a console
message, failed load or broken image, and its screenshot shows the page.

Usage: report_renders_in_headless_chromium.py GRADLAB
"""

import sys
import tempfile
from pathlib import Path

from headless_chromium import judge_rendered, load_page
from report_run import gradlab_report, gradlab_run

failures = []
with tempfile.TemporaryDirectory() as work:
    report = gradlab_report(sys.argv[1], gradlab_run(sys.argv[1], Path(work) / "run"))
    # A tall window: the summary table and the first figures are in view.
    page = load_page(report / "report.html", width=1280, height=2400)
    failures += page.problems()
    # The top of the report is a heading, paragraphs, a table and figures:
    # far more than the 0.2% of pixels a blank or near-empty page has.
    judged = judge_rendered(page.screenshot_png, min_content_fraction=0.05, min_colours=64)
    if not judged.rendered:
        failures.append(f"the screenshot looks blank: {judged}")
    (Path(work) / "screenshot.png").write_bytes(page.screenshot_png)

for f in failures:
    print("FAIL:", f)
if not failures:
    print(f"report.html opened in headless Chromium in {page.seconds:.1f} s, no console messages; {judged}")
sys.exit(1 if failures else 0)

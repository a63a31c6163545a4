"""gradlab report on a small run draws every figure as a valid PNG or GIF
with real content (not blank, not one colour), and report.html embeds each
one, byte for byte, and refers to no other file.

Usage: report_embeds_every_figure_as_a_real_image.py GRADLAB
"""

import base64
import re
import sys
import tempfile
from pathlib import Path

from report_run import FIGURES, content, frames, gradlab_report, gradlab_run

# A figure fills its canvas with axes, lines and text: more than 3% of its
# pixels differ from the background and it has more than 32 colours (text
# antialiasing alone gives dozens). A blank or one-colour image has 0% and 1.
MIN_SHARE, MIN_COLOURS = 0.03, 32

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


with tempfile.TemporaryDirectory() as work:
    report = gradlab_report(sys.argv[1], gradlab_run(sys.argv[1], Path(work) / "run"))
    page = (report / "report.html").read_text(encoding="utf-8")
    for name in FIGURES:
        path = report / name
        if not path.is_file():
            failures.append(f"{name}: not written")
            continue
        try:
            images = frames(path)
        except Exception as e:  # noqa: BLE001  (any decoding failure is the finding)
            failures.append(f"{name}: not a valid image ({e})")
            continue
        check(path.suffix != ".gif" or len(images) > 1, f"{name}: a GIF of {len(images)} frame, not an animation")
        for k, frame in enumerate(images):
            share, colours = content(frame)
            check(share > MIN_SHARE and colours > MIN_COLOURS,
                  f"{name} frame {k}: {share:.1%} of pixels unlike the background, {colours} colours (blank?)")
        if len(images) > 1:
            check(any((a != images[0]).any() for a in images[1:]), f"{name}: every frame is the same")
        embedded = re.search(r'<img src="data:image/(png|gif);base64,([A-Za-z0-9+/=]+)" data-file="'
                             + re.escape(name) + '"', page)
        check(embedded is not None, f"report.html does not embed {name}")
        if embedded:
            check(base64.b64decode(embedded.group(2)) == path.read_bytes(),
                  f"report.html embeds a {name} other than the file")
    sources = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    outside = [s for s in sources if not s.startswith("data:")]
    check(not outside, f"report.html refers to files or the network: {outside[:3]}")
    for heading in ("Summary per lane", "NaN/Inf origins", "Resolved config"):
        check(heading in page, f"report.html has no '{heading}' section")

for f in failures:
    print("FAIL:", f)
if not failures:
    print(f"{len(FIGURES)} figures, each a valid image with content, each embedded in report.html")
sys.exit(1 if failures else 0)

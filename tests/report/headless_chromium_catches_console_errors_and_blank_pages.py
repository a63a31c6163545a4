"""headless_chromium, the tool the report tests look through, sees what a
reader would: a clean page with text and an embedded figure gives no
messages and a rendered screenshot; console.error, an uncaught exception, a
missing image file and a corrupt data: image are each reported; an empty
page's screenshot is judged blank. Exit status 0 when all hold."""

import base64
import io
import os
import pathlib
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)

import headless_chromium  # noqa: E402 (this script's directory is on sys.path)


def figure_data_uri():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([0, 1, 2, 3], [1e-1, 1e-3, 1e-6, 1e-9], label="fp16")
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("gradient norm (log scale)")
    ax.legend()
    png = io.BytesIO()
    fig.savefig(png, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def page(body):
    return f'<!doctype html><html><head><meta charset="utf-8"><title>test</title></head><body>{body}</body></html>'


PARAGRAPH = "<h1>Run report</h1><p>Gradient norms per layer, fp16 against mp256, over sixty steps.</p>"


def main():
    if not os.access(headless_chromium.CHROMIUM, os.X_OK):
        print(f"FAIL: no {headless_chromium.CHROMIUM}; scripts/test.sh installs it "
              "(it runs scripts/setup.sh with GRADLAB_SETUP_TEST_TOOLS=1)")
        return 1

    failures = []

    def check(condition, what, load):
        if not condition:
            failures.append(f"{what}; saw: {load.problems() or 'no problems'}; "
                            f"screenshot {headless_chromium.judge_rendered(load.screenshot_png)}")

    with tempfile.TemporaryDirectory(prefix="gradlab-report-test-") as scratch:
        def load(name, body):
            path = pathlib.Path(scratch) / name
            path.write_text(page(body), encoding="utf-8")
            result = headless_chromium.load_page(path)
            print(f"{name}: {result.seconds:.1f} s, {len(result.problems())} problems")
            return result

        clean = load("clean.html", f'{PARAGRAPH}<img alt="gradient norms" src="{figure_data_uri()}">')
        check(clean.problems() == [], "clean page: expected no console messages, failed loads or broken images",
              clean)
        check(headless_chromium.judge_rendered(clean.screenshot_png).rendered,
              "clean page: expected its screenshot judged rendered", clean)

        logged = load("console_error.html", PARAGRAPH + '<script>console.error("figure 3 has no data")</script>')
        check([(m.source, m.level, m.text) for m in logged.console] == [("console", "error", "figure 3 has no data")],
              "console.error page: expected exactly that console error", logged)

        thrown = load("exception.html", PARAGRAPH + '<script>throw new TypeError("lanes is undefined")</script>')
        check(any(m.source == "exception" and m.level == "error" and "lanes is undefined" in m.text
                  for m in thrown.console),
              "exception page: expected the uncaught TypeError as a console error", thrown)

        missing = load("missing_image.html", PARAGRAPH + '<img alt="figure" src="figures/missing.png">')
        check([(f.url.endswith("/figures/missing.png"), f.error) for f in missing.failed_loads]
              == [(True, "net::ERR_FILE_NOT_FOUND")],
              "missing image page: expected one failed load of figures/missing.png", missing)
        check(any(src.endswith("/figures/missing.png") for src in missing.broken_images),
              "missing image page: expected figures/missing.png among the broken images", missing)

        # A truncated PNG: its data: URI "loads", so only the image check sees it.
        corrupt = load("corrupt_image.html", PARAGRAPH + '<img alt="figure" src="data:image/png;base64,iVBORw0KGgo=">')
        check(len(corrupt.broken_images) == 1 and corrupt.broken_images[0].startswith("data:image/png"),
              "corrupt data: image page: expected it among the broken images", corrupt)

        empty = load("empty.html", "")
        judgement = headless_chromium.judge_rendered(empty.screenshot_png)
        check(not judgement.rendered, f"empty page: expected its screenshot judged blank, got {judgement}", empty)
        check(empty.problems() == [], "empty page: expected no problems", empty)

    for failure in failures:
        print("FAIL:", failure)
    print(f"{len(failures)} checks failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

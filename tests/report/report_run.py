"""The report tests' run: small_study.toml through `gradlab run`, then
`gradlab report`, in a scratch directory; and what makes a figure file real."""

import pathlib
import subprocess
import sys

import numpy as np
from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
STUDY = HERE / "small_study.toml"

# Every figure the report draws for small_study.toml, in page order.
FIGURES = [
    "gradient_norm_by_depth.png",
    "gradient_heatmap.png",
    "gradient_histogram.png",
    "error_against_reference.png",
    "nonfinite_timeline.png",
    "loss_curves.png",
    "single_weight_landscape.png",
    "gradient_flow.gif",
]


def gradlab_run(gradlab, out):
    subprocess.run([gradlab, "run", str(STUDY), "--out", str(out), "--quiet"], check=True)
    return pathlib.Path(out)


def gradlab_report(gradlab, run_dir):
    """Writes the report and returns its directory; exits the test if gradlab fails."""
    done = subprocess.run([gradlab, "report", str(run_dir)], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"FAIL: gradlab report {run_dir} exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return pathlib.Path(run_dir) / "report"


def frames(path):
    """The frames of a PNG (one) or GIF as RGB arrays; raises if the file is not a valid image."""
    with Image.open(path) as image:
        image.verify()  # the structure and checksums, without decoding
    with Image.open(path) as image:
        if image.format not in ("PNG", "GIF"):
            raise ValueError(f"{path.name} is {image.format}, not PNG or GIF")
        out = []
        for k in range(getattr(image, "n_frames", 1)):
            image.seek(k)
            out.append(np.asarray(image.convert("RGB"), dtype=np.int16))
        return out


def content(frame):
    """(share of pixels unlike the most common colour, number of distinct colours)."""
    rgb = frame.reshape(-1, 3).astype(np.int32)
    packed = (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]
    values, counts = np.unique(packed, return_counts=True)
    background = rgb[np.flatnonzero(packed == values[np.argmax(counts)])[0]]
    share = float(np.any(np.abs(rgb - background) > 8, axis=1).mean())
    return share, len(values)


def png_bytes_differ(a, b):
    """Whether two images differ in their pixels (not only in their metadata)."""
    fa, fb = frames(a), frames(b)
    return len(fa) != len(fb) or any(x.shape != y.shape or np.any(x != y) for x, y in zip(fa, fb))

"""The report's figures, one module each, in the order the page shows them.

Each module has
    draw(run: RunData, out_dir: Path) -> Figure | NotApplicable
drawing its file into out_dir. NotApplicable says why a run has no such
figure (a run without a reference has no error figure), for the page to show.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    file: str      # name inside out_dir: .png, or .gif for the animation
    title: str
    caption: str   # two or three sentences: what to look for


@dataclass(frozen=True)
class NotApplicable:
    title: str
    reason: str

"""report.html: one self-contained page (figures as data: URIs, no script,
no network) with the run's summary table, every figure with what to look
for, the NaN/Inf origins and the resolved config."""

from __future__ import annotations

import base64
import html
import math
from pathlib import Path

from .figures import Figure, NotApplicable
from .run_data import RunData

_MIME = {".png": "image/png", ".gif": "image/gif"}

_CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px;
       color: #222; line-height: 1.45; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
.meta { color: #555; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { margin-top: 0.4em; max-width: 60em; }
.absent { color: #666; font-style: italic; }
.flag { color: #b00; font-weight: bold; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.8em; overflow-x: auto; font-size: 0.8em; }
nav a { margin-right: 1em; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _number(x) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        try:
            x = float(x)
        except ValueError:
            return _e(x)
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.4g}"


def _summary_table(run: RunData) -> str:
    columns = [
        ("variant", "variant", False), ("precision", "precision", False), ("final loss", "final_loss", True),
        ("first NaN/Inf step", "first_nonfinite_step", True),
        ("smallest layer gradient norm", "smallest_layer_gradient_norm", True),
        ("largest layer gradient norm", "largest_layer_gradient_norm", True),
        ("max weight drift (ulp)", "max_weight_drift_ulp", True),
        ("max local gradient error (ulp)", "max_gradient_local_ulp", True),
        ("skipped steps", "skipped_steps", True),
    ]
    flags = ["vanishing", "exploding", "underflow", "diverged", "stopped"]
    head = "".join(f"<th>{_e(title)}</th>" for title, _, _ in columns) + "<th>events</th>"
    rows = []
    for lane in run.summary["lanes"]:
        cells = "".join(
            f'<td class="number">{_number(lane.get(key))}</td>' if numeric else f"<td>{_e(lane.get(key, ''))}</td>"
            for _, key, numeric in columns)
        raised = [f for f in flags if lane.get(f)]
        cells += f'<td class="flag">{_e(", ".join(raised))}</td>' if raised else "<td></td>"
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _origins_table(run: RunData) -> str:
    origins = [e for e in run.events if e.get("event") == "nonfinite_origin"]
    if not origins:
        return '<p class="absent">No NaN or Inf arose in any lane.</p>'
    head = "".join(f"<th>{t}</th>" for t in
                   ("variant", "precision", "step", "layer", "op", "pass", "tensor", "element", "value", "operands",
                    "explanation"))
    rows = []
    for o in origins:
        element = o.get("element")
        element_text = f"[{element[0]}, {element[1]}]" if isinstance(element, list) and len(element) == 2 else ""
        layer = o.get("layer")
        layer_text = f"{layer} ({o.get('layer_kind', '')})" if layer is not None else o.get("layer_kind", "")
        operands = "<br>".join(f"{_e(op.get('name', ''))} = {_e(op.get('value', ''))}"
                               for op in o.get("operands", []))
        rows.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in (
            o.get("variant", ""), o.get("precision", ""), o.get("step", ""), layer_text, o.get("op", ""),
            o.get("pass", ""), o.get("tensor", ""), element_text, o.get("value", ""))) +
            f"<td>{operands}</td><td>{_e(o.get('explanation', ''))}</td></tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _figure_html(entry: Figure | NotApplicable, out_dir: Path, number: int) -> str:
    if isinstance(entry, NotApplicable):
        return (f'<figure id="figure-{number}"><h3>Figure {number}. {_e(entry.title)}</h3>'
                f'<p class="absent">Not drawn for this run: {_e(entry.reason)}</p></figure>')
    path = out_dir / entry.file
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = _MIME[path.suffix]
    return (f'<figure id="figure-{number}"><h3>Figure {number}. {_e(entry.title)}</h3>'
            f'<img src="data:{mime};base64,{data}" data-file="{_e(entry.file)}" alt="{_e(entry.title)}">'
            f"<figcaption>{_e(entry.caption)}</figcaption></figure>")


def write_page(run: RunData, entries: list[Figure | NotApplicable], out_dir: Path) -> Path:
    s = run.summary
    description = ""
    for line in run.config_text.splitlines():
        if line.startswith("description = "):
            description = line.split("=", 1)[1].strip().strip('"')
            break
    reference = s.get("reference") or "none"
    figures = "\n".join(_figure_html(entry, out_dir, k) for k, entry in enumerate(entries, start=1))
    nav = " ".join(f'<a href="#figure-{k}">{k}</a>' for k in range(1, len(entries) + 1))
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gradlab report: {_e(s.get('study', ''))}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>gradlab report: {_e(s.get('study', ''))}</h1>
<p class="meta">{_e(description)}</p>
<p class="meta">{_e(s.get('steps', ''))} steps, {len(run.lanes)} lanes ({len(run.variants)} variants ×
{len(run.precisions)} precisions), errors against {_e(reference)}; {_number(s.get('seconds'))} s on
{_e(s.get('threads', ''))} threads. Run directory: <code>{_e(run.path.resolve())}</code>.</p>
<nav>Figures: {nav} · <a href="#origins">NaN/Inf origins</a> · <a href="#config">config</a></nav>
<h2>Summary per lane</h2>
<p>One row per variant and precision. Flags say which events.jsonl events the lane raised: vanishing
(first-layer / last-layer gradient norm below the threshold), exploding (above), underflow (most of a weight
gradient exactly zero where the reference's is not), diverged (loss beyond the threshold times its first value).</p>
{_summary_table(run)}
<h2>Figures</h2>
{figures}
<h2 id="origins">NaN/Inf origins</h2>
<p>For each lane, the first operation whose inputs were finite and whose output was not: where it happened,
its operands, and why.</p>
{_origins_table(run)}
<h2 id="config">Resolved config</h2>
<p>The study as run, defaults included (config.toml of the run directory): run it again with
<code>gradlab run config.toml</code>.</p>
<pre>{_e(run.config_text)}</pre>
</body>
</html>
"""
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path

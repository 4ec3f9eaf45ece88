"""MkDocs hook: end every page with what the gate's last run verified on it.

Reads gate-artifacts/verified.json (written by `nox -s snippets`). Without it the note
says the build was not verified, rather than showing versions nobody ran.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

ARTIFACTS = Path(os.environ.get("GATE_ARTIFACTS", Path(__file__).resolve().parents[2] / "gate-artifacts"))


def _record() -> dict | None:
    try:
        return json.loads((ARTIFACTS / "verified.json").read_text())
    except (OSError, ValueError):
        return None


FIGURE = re.compile(r"^<!--\s*gate:figure\s+(\S+\.svg)\s+(.*?)\s*-->\s*$", re.M)


def _figure(page_stem: str, match: re.Match) -> str:
    """Inline an SVG figure the gate's run saved for this page, with its caption."""
    name, caption = match.group(1), match.group(2)
    path = ARTIFACTS / "figures" / page_stem / name
    if not path.exists():
        return (f'!!! note "Figure not in this build"\n    *{caption}*: `{name}` is drawn by the gate\'s run '
                f"(`nox -s snippets`) from the measurements above.\n")
    svg = path.read_text()
    svg = svg[svg.index("<svg"):]
    return f'<figure class="gate-figure">\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>\n'


def _outside_fences(markdown: str, change) -> str:
    """Apply change() to the text outside fenced code blocks only."""
    parts, current, fence = [], [], None
    for line in markdown.split("\n"):
        stripped = line.lstrip()
        marker = stripped[:3] if stripped[:3] in ("```", "~~~") else None
        if fence is None and marker:
            parts.append(change("\n".join(current)))
            current, fence = [line], marker
        elif fence and stripped.startswith(fence) and not stripped.strip("`~"):
            current.append(line)
            parts.append("\n".join(current))
            current, fence = [], None
        else:
            current.append(line)
    parts.append(change("\n".join(current)) if fence is None else "\n".join(current))
    return "\n".join(parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    record = _record()
    name = Path(page.file.src_path).name
    markdown = _outside_fences(markdown, lambda text: FIGURE.sub(lambda m: _figure(Path(name).stem, m), text))
    if record is None:
        note = ('!!! note "Not verified in this build"\n    This copy of the site was built without '
                'a gate run. `nox -s snippets` runs every block on this page and records the result here.')
        return f"{markdown}\n\n{note}\n"
    stats = record["pages"].get(name)
    if stats is not None:
        # Older records kept the versions once, at the top.
        stats = {**{k: v for k, v in record.items() if k != "pages"}, **stats}
    if stats is None or "tensorflow" not in stats:
        return (f'{markdown}\n\n!!! warning "Not verified"\n    The gate has not run this page '
                f"in this build's record.\n")
    serving = f", TF Serving {stats['tf_serving']} ({stats['backend']})" if stats.get("backend") else ""
    versions = (f"TensorFlow {stats['tensorflow']} (Keras {stats['keras']}){serving}, "
                f"Python {stats['python']} on {stats['date']}, {stats['machine']}")
    skipped = sum(stats["skipped"].values())
    reasons = "; ".join(f"{n} × {reason}" for reason, n in stats["skipped"].items())
    body = (f"{stats['passed']} of {stats['blocks']} code blocks on this page ran and passed"
            f"{f', {skipped} skipped ({reasons})' if skipped else ''}"
            f"{', ' + str(stats['failed']) + ' FAILED' if stats['failed'] else ''}, "
            f"with {versions}, in {stats['seconds']:.0f} s.")
    kind = "failure" if stats["failed"] else "success"
    return f'{markdown}\n\n!!! {kind} "Verified by the gate"\n    {body}\n'

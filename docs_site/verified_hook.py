"""MkDocs hook: end every page with what the gate's last run verified on it.

Reads gate-artifacts/verified.json (written by `nox -s snippets`). Without it the note
says the build was not verified, rather than showing versions nobody ran.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

ARTIFACTS = Path(os.environ.get("GATE_ARTIFACTS", Path(__file__).resolve().parents[1] / "gate-artifacts"))


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


# Where a block marked <!--pytest.mark.measured("NAME")--> shows what the gate's run measured.
MEASURED = re.compile(r"^<!--\s*gate:measured\s+([a-z][-_0-9a-z]*)\s*-->\s*$", re.M)


def _measured(page_stem: str, match: re.Match) -> str:
    """The table a measured block printed in the gate's run, and the machine that printed it."""
    name = match.group(1)
    text, meta = (ARTIFACTS / "measured" / page_stem / f"{name}.txt",
                  ARTIFACTS / "measured" / page_stem / f"{name}.json")
    try:
        output, machine = text.read_text(), json.loads(meta.read_text())
    except (OSError, ValueError):
        return (f'!!! note "Measurement not in this build"\n    The `{name}` table is measured by the gate\'s run '
                f"(`nox -s snippets`) on the machine that builds the site; this build had no such run.\n")
    body = output.strip("\n")
    if not body.startswith("|"):  # not a markdown table: show it as the block printed it
        body = f"```text\n{body}\n```"
    backend = f", against TF Serving backend: {machine['backend']}" if machine.get("backend") else ""
    return (f"{body}\n\n*Measured by the gate's run on {machine['date']}: {machine['machine']}, "
            f"TensorFlow {machine['tensorflow']}{backend}.*\n")


def _outside_fences(markdown: str, change) -> str:
    """Apply change() to the text outside fenced code blocks only."""
    parts, current, fence = [], [], None
    for line in markdown.split("\n"):
        stripped = line.lstrip()
        # A fence opens with 3 or more backticks (or tildes) and closes with at least as many.
        opening = re.match(r"`{3,}|~{3,}", stripped)
        if fence is None and opening:
            parts.append(change("\n".join(current)))
            current, fence = [line], opening.group(0)
        elif fence and stripped.startswith(fence) and not stripped.strip(fence[0]):
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
    stem = Path(name).stem
    markdown = _outside_fences(markdown, lambda text: MEASURED.sub(
        lambda m: _measured(stem, m), FIGURE.sub(lambda m: _figure(stem, m), text)))
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
    # The backend names itself with the version that answered ("TF Serving 2.21.0 (Docker ...)",
    # or the compatible server and the release it mirrors): tests/gate/backend.py.
    serving = f", {stats['backend']}" if stats.get("backend") else ""
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

"""MkDocs hook: end every page with what the gate's last run verified on it.

Reads gate-artifacts/verified.json (written by `nox -s snippets`). Without it the note
says the build was not verified, rather than showing versions nobody ran.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

ARTIFACTS = Path(os.environ.get("GATE_ARTIFACTS", Path(__file__).resolve().parents[2] / "gate-artifacts"))


def _record() -> dict | None:
    try:
        return json.loads((ARTIFACTS / "verified.json").read_text())
    except (OSError, ValueError):
        return None


def on_page_markdown(markdown: str, page, config, files) -> str:
    record = _record()
    name = Path(page.file.src_path).name
    if record is None:
        note = ('!!! note "Not verified in this build"\n    This copy of the site was built without '
                'a gate run. `nox -s snippets` runs every block on this page and records the result here.')
        return f"{markdown}\n\n{note}\n"
    stats = record["pages"].get(name)
    if stats is None:
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

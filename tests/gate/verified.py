"""What the gate's last run verified, written for the site to show.

The gate writes gate-artifacts/verified.json when it ends; the site's build hook
(tests/gate/verified_hook.py) puts a "verified with ..." note on every page from it, so
the versions and date on the site come from a run, not from typing.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .backend import TF_SERVING_IMAGE
from .expand import REPO

ARTIFACTS = Path(os.environ.get("GATE_ARTIFACTS", REPO / "gate-artifacts"))
VERIFIED = ARTIFACTS / "verified.json"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


def machine() -> str:
    gpu = "GPU" if Path("/dev/nvidia0").exists() else "no GPU"
    return f"{os.cpu_count()}-core {platform.machine()} {platform.system()}, {gpu}"


FIGURES = ARTIFACTS / "figures"
MAX_FIGURE_BYTES = 300_000


def keep_figures(page: str, workdir: Path) -> None:
    """Keep the SVG figures a page's blocks saved in its working directory (top level only)."""
    for figure in workdir.glob("*.svg"):
        if figure.stat().st_size > MAX_FIGURE_BYTES:
            raise ValueError(f"{figure.name} is {figure.stat().st_size} bytes: keep figures light")
        target = FIGURES / page / figure.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(figure.read_bytes())


def write(pages: dict[str, dict]) -> Path:
    """Record this run's pages, keeping earlier runs' records of pages it did not run."""
    try:
        record = json.loads(VERIFIED.read_text())
    except (OSError, ValueError):
        record = {"pages": {}}
    run = {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "tensorflow": _version("tensorflow"),
        "keras": _version("keras"),
        "tf_serving": TF_SERVING_IMAGE.split(":")[1],
        "machine": machine(),
    }
    for stats in pages.values():
        stats.update(run)
    record["pages"].update(pages)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    VERIFIED.write_text(json.dumps(record, indent=2) + "\n")
    return VERIFIED

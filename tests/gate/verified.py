"""What the gate's last run verified, written for the site to show.

The gate writes gate-artifacts/verified.json when it ends; the site's build hook
(docs_site/verified_hook.py) puts a "verified with ..." note on every page from it, so
the versions and date on the site come from a run, not from typing.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from .backend import TF_SERVING_VERSION
from docs_site.expand import REPO

ARTIFACTS = Path(os.environ.get("GATE_ARTIFACTS", REPO / "gate-artifacts"))
VERIFIED = ARTIFACTS / "verified.json"


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


# The vector extensions that decide how fast TFLite's and oneDNN's kernels run: int8 dot
# products (VNNI, AMX on x86; dotprod, i8mm on ARM) and the SIMD width (AVX2, AVX-512, SVE).
VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8",
                "asimd", "asimddp", "i8mm", "sve", "sve2", "bf16")


def cpu(cpuinfo: str | None = None) -> dict:
    """CPU model and the vector extensions it reports, from /proc/cpuinfo (Linux, x86 or ARM)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    fields: dict[str, str] = {}
    for line in cpuinfo.split("\n"):
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    flags = set((fields.get("flags") or fields.get("features") or "").split())
    return {"model": fields.get("model name") or fields.get("hardware") or platform.processor() or "unknown CPU",
            "extensions": [flag for flag in VECTOR_FLAGS if flag in flags],
            "cores": os.cpu_count(), "arch": platform.machine()}


def machine() -> str:
    gpu = "GPU" if Path("/dev/nvidia0").exists() else "no GPU"
    info = cpu()
    extensions = ", ".join(info["extensions"]) or "no AVX2/NEON extensions reported"
    return (f"{info['cores']}-core {info['arch']} {platform.system()}, {info['model']} ({extensions}), {gpu}")


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


MEASURED = ARTIFACTS / "measured"


def measured_paths(page: str, name: str) -> tuple[Path, Path]:
    """Where a measured block's output and the machine that measured it are kept."""
    folder = MEASURED / page
    return folder / f"{name}.txt", folder / f"{name}.json"


def forget_measured(page: str, name: str) -> None:
    """Before the block runs: a failed run must not leave an older run's table to publish."""
    for path in measured_paths(page, name):
        path.unlink(missing_ok=True)


def keep_measured(page: str, name: str, stdout: str, backend: str | None = None) -> None:
    """Keep what a measured block printed, and the machine (and TF Serving backend) behind it."""
    text, meta = measured_paths(page, name)
    text.parent.mkdir(parents=True, exist_ok=True)
    text.write_text(stdout)
    meta.write_text(json.dumps({"machine": machine(), "cpu": cpu(), "date": datetime.date.today().isoformat(),
                                "tensorflow": _version("tensorflow"), "ai_edge_litert": _version("ai-edge-litert"),
                                "python": platform.python_version(), "backend": backend}, indent=2) + "\n")


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
        "tf_serving": TF_SERVING_VERSION,
        "machine": machine(),
    }
    for stats in pages.values():
        stats.update(run)
    record["pages"].update(pages)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    VERIFIED.write_text(json.dumps(record, indent=2) + "\n")
    return VERIFIED

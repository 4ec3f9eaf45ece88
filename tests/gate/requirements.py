"""Named requirements: a block marked with one is skipped only when it is missing here.

Each requirement is defined once, with the reason the gate's summary counts.
Register new ones here and in pyproject.toml's markers (``--strict-markers`` catches typos).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from functools import lru_cache


def _runs(*command: str) -> bool:
    if not shutil.which(command[0]):
        return False
    try:
        return subprocess.run(command, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@lru_cache(maxsize=None)
def docker_available() -> bool:
    return _runs("docker", "info")


def _nginx() -> bool:
    return bool(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"))


REQUIREMENTS = {
    "requires_docker": (docker_available, "no Docker engine reachable"),
    "requires_k8s": (lambda: _runs("kubectl", "cluster-info"), "no Kubernetes cluster reachable"),
    "requires_nginx": (_nginx, "nginx is not installed"),
    "requires_tpu": (lambda: bool(glob.glob("/dev/accel*") or os.environ.get("TPU_NAME")), "no TPU"),
    "requires_gpu": (lambda: bool(glob.glob("/dev/nvidia[0-9]*")), "no GPU"),
    "requires_cloud": (lambda: bool(os.environ.get("GOOGLE_CLOUD_PROJECT")), "no cloud project credentials"),
}


# Requirements a reader meets by installing a system package: the gate's summary names the
# package and the command (the README's "System packages" section says the same).
SYSTEM_PACKAGES = {
    "requires_nginx": "nginx",
    "requires_chromium": "chromium",  # tests/browser skips with this prefix
}
APT_INSTALL = "sudo apt-get install -y {packages}   # Debian and Ubuntu"
# Ubuntu's chromium packages only install the snap.
SNAP_CHROMIUM = "sudo apt-get install -y {packages}   # Debian; on Ubuntu: sudo snap install chromium"


def install_hint(skip_reasons) -> str | None:
    """The one-line install for the system packages whose absence caused these skips, if any."""
    packages = sorted({package for reason in skip_reasons for name, package in SYSTEM_PACKAGES.items()
                       if str(reason).removeprefix("Skipped: ").startswith(name + ":")})
    if not packages:
        return None
    return (SNAP_CHROMIUM if "chromium" in packages else APT_INSTALL).format(packages=" ".join(packages))


@lru_cache(maxsize=None)
def missing(name: str) -> str | None:
    """The skip reason if requirement ``name`` is missing on this machine, else None."""
    check, reason = REQUIREMENTS[name]
    return None if check() else f"{name}: {reason}"

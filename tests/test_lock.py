"""The lock is what pip installs on the README's Python.

uv ignores an upper bound in a dependency's Requires-Python, pip does not: a lock that uv
resolved can pin a version pip refuses (backports-strenum 1.3.1 says `<3.11`). The README
promises pip alone, so every distribution in the environment the tests run in must admit the
interpreter they run on. `nox -s lock` checks the same of the lock with pip itself.
"""

from __future__ import annotations

import platform
import re
from importlib.metadata import Distribution, distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

REPO = Path(__file__).resolve().parents[1]


def refused_by_python(installed, python_version: str) -> list[str]:
    """Distributions whose Requires-Python does not admit python_version (pip would refuse them)."""
    refused = []
    for dist in installed:
        requires = dist.metadata.get("Requires-Python")
        if not requires:
            continue
        name = f"{dist.metadata['Name']} {dist.version}"
        try:
            admitted = SpecifierSet(requires).contains(python_version, prereleases=True)
        except InvalidSpecifier:
            refused.append(f"{name}: unreadable Requires-Python {requires!r}")
            continue
        if not admitted:
            refused.append(f"{name}: Requires-Python {requires}")
    return refused


def test_every_installed_distribution_admits_this_python():
    refused = refused_by_python(distributions(), platform.python_version())
    assert not refused, ("pip would refuse these on Python " + platform.python_version()
                         + " (pin a version that admits it in requirements/*.in):\n  " + "\n  ".join(refused))


class _Fake(Distribution):
    """A distribution made of its METADATA text only."""

    def __init__(self, metadata: str):
        self._metadata = metadata

    def read_text(self, filename):
        return self._metadata if filename == "METADATA" else None

    def locate_file(self, path):
        return Path(path)


def _fake(name: str, version: str, requires_python: str | None) -> Distribution:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    return _Fake("\n".join(lines) + "\n")


def test_the_check_refuses_what_pip_refuses():
    installed = [_fake("backports-strenum", "1.3.1", ">=3.8.6,<3.11"),
                 _fake("backports-strenum", "1.2.8", ">=3.8.6"),
                 _fake("no-bound", "1.0", None)]
    assert refused_by_python(installed, "3.11.7") == ["backports-strenum 1.3.1: Requires-Python >=3.8.6,<3.11"]
    assert refused_by_python(installed, "3.10.4") == []
    assert refused_by_python([_fake("odd", "1", "3.11")], "3.11.7") == ["odd 1: unreadable Requires-Python '3.11'"]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def test_the_environment_is_the_lock():
    """What runs the tests is the lock, not something near it: every pin that applies here is installed."""
    pins = {}
    for line in (REPO / "requirements" / "constraints.txt").read_text().split("\n"):
        if "==" in line and not line.startswith((" ", "#")):
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate():
                pins[_normalized(requirement.name)] = str(requirement.specifier).removeprefix("==")
    installed = {_normalized(dist.metadata["Name"]): dist.version for dist in distributions()}
    wrong = {name: (pin, installed.get(name, "not installed")) for name, pin in pins.items()
             if installed.get(name) != pin}
    assert not wrong, f"pinned vs installed: {wrong}"

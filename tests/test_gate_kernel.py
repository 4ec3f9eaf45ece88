"""The gate's page runs: a page that cannot start never holds the fixed ports' lock."""

from __future__ import annotations

import fcntl
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.gate import plugin


@pytest.fixture
def lock(tmp_path, monkeypatch) -> Path:
    """The fixed ports' lock, in a folder of this test's own (real pages may hold the real one)."""
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path / "docs-gate-fixed-ports.lock"


def test_a_page_that_cannot_start_releases_the_fixed_ports_lock(monkeypatch, lock):
    def no_backend():
        raise RuntimeError("no backend today")

    monkeypatch.setattr(plugin.backends, "choose_backend", no_backend)
    page = SimpleNamespace(key="some-page", fixed_ports=True, notebook=None)
    with pytest.raises(RuntimeError, match="no backend today"):
        plugin.PageRun(page)
    with open(lock, "w") as other:  # another page (or this page's next block) takes it at once
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_without_the_release_the_lock_would_stay_taken(lock):
    """Counter-test: a lock file left open, as a failed start without the release left it, is held."""
    held = open(lock, "w")
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        with open(lock, "w") as other, pytest.raises(BlockingIOError):
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        held.close()

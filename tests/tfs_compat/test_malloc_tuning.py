"""glibc takes the compatible server's malloc settings (tfs_compat/malloc_tuning.py)."""

import platform

import pytest

from tfs_compat import malloc_tuning


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_glibc_takes_both_settings():
    assert malloc_tuning.keep_large_bodies_in_the_heap() is True


def test_a_libc_without_mallopt_changes_nothing(monkeypatch):
    # musl and macOS have no mallopt: the server starts as it would, and says it changed nothing.
    class NoMallopt:
        def __init__(self, _name):
            pass

    monkeypatch.setattr(malloc_tuning.ctypes, "CDLL", NoMallopt)
    assert malloc_tuning.keep_large_bodies_in_the_heap() is False

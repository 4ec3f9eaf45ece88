"""snippets/scaling-out/load.py, the load run of the multi-instance page, fed calls that fail,
hang or never come: each case must show up in its report or fail it."""

from __future__ import annotations

import runpy
import threading
import time

import pytest

from docs_site.expand import REPO

LOAD = REPO / "snippets" / "scaling-out" / "load.py"


def load_class(rest, grpc):
    """The page's Load class, with stand-ins for the page's REST and gRPC clients."""
    return runpy.run_path(str(LOAD), init_globals={"predict_rest": rest, "predict_grpc": grpc})["Load"]


def fine(rows):
    return None, 7  # (predictions, version): what predict_grpc returns


def test_a_run_reports_every_call_and_the_calls_after_its_event():
    Load = load_class(fine, fine)
    with Load(rows=None, pause=0.001) as load:
        load.wait_for(20)
        load.mark("the event")
        load.wait_for(30)
    report = load.report(at_least=30)
    sent = int(report.split(" requests")[0])
    assert f"{sent} requests (REST and gRPC): {sent} answered, 0 failed; " in report
    assert int(report.split("; ")[1].split(" sent after")[0]) >= 30
    assert load.versions() == [7]


def test_too_few_calls_after_the_event_fail_the_report():
    Load = load_class(fine, fine)
    with Load(rows=None, pause=0.001) as load:
        load.wait_for(10)
        load.mark("the kill")
    with pytest.raises(AssertionError, match="sent after the kill"):
        load.report(at_least=1000)


def test_failed_calls_are_counted():
    def broken(rows):
        raise ConnectionError("replica gone")

    Load = load_class(broken, fine)
    with Load(rows=None, pause=0.001) as load:
        load.mark("start")
        load.wait_for(20)
    report = load.report(at_least=20)
    assert " 0 failed" not in report and "failed" in report


def test_a_call_still_hanging_at_the_end_is_a_failure():
    release = threading.Event()

    def hangs(rows):
        release.wait(10)

    Load = load_class(hangs, hangs)
    try:
        with Load(rows=None, join_timeout=0.2) as load:
            load.mark("start")
            time.sleep(0.2)
        # Both clients' first calls never return: sent, not answered, so failed.
        assert "2 requests (REST and gRPC): 0 answered, 2 failed" in load.report(at_least=0)
    finally:
        release.set()


def test_wait_for_fails_when_the_load_stalls():
    release = threading.Event()

    def hangs(rows):
        release.wait(10)

    Load = load_class(hangs, hangs)
    try:
        with Load(rows=None, join_timeout=0.2) as load:
            with pytest.raises(TimeoutError, match="only 0 of 5 calls finished"):
                load.wait_for(5, timeout=0.3)
    finally:
        release.set()

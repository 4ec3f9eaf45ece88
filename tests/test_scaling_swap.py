"""snippets/scaling-out/swap.py reads the load/unload order from a replica's log: the page's claim
that a swap holds both versions rests on it, so it must tell the two orders apart."""

import re
from pathlib import Path

SOURCE = (Path(__file__).resolve().parents[1] / "snippets/scaling-out/swap.py").read_text()


def _lifecycle():
    region = re.search(r"# --8<-- \[start:lifecycle\]\n(.*?)# --8<-- \[end:lifecycle\]", SOURCE, re.S)
    namespace = {}
    exec(region.group(1), namespace)  # the region the page includes, without the cluster loop
    return namespace["lifecycle"]


# TF Serving's own log lines (core/loader_harness.cc), with its glog prefixes.
LOAD = "I0000 00:00:1.0 1 loader_harness.cc:104] Successfully loaded servable version {name: %s version: %d}\n"
UNLOAD = "I0000 00:00:1.0 1 loader_harness.cc:136] Done unloading servable version {name: %s version: %d}\n"


def test_new_version_loaded_before_the_old_one_unloaded():
    log = LOAD % ("digits", 1) + LOAD % ("digits_ab", 2) + LOAD % ("digits", 2) + UNLOAD % ("digits", 1)
    assert _lifecycle()(log, "digits") == ["loaded 1", "loaded 2", "unloaded 1"]


def test_counter_unload_first_reads_differently():
    """A resource-preserving order (unload, then load) must not read like the page's output."""
    log = LOAD % ("digits", 1) + UNLOAD % ("digits", 1) + LOAD % ("digits", 2)
    assert _lifecycle()(log, "digits") == ["loaded 1", "unloaded 1", "loaded 2"]


def test_other_models_and_prefixes_are_ignored():
    log = LOAD % ("digits_ab", 1) + LOAD % ("digits2", 3) + "Loading servable: {name: digits version: 9}\n"
    assert _lifecycle()(log, "digits") == []

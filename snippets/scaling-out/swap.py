"""The order in which a replica loaded and unloaded a model's versions, read from its log.

TF Serving logs "Successfully loaded servable version {name: N version: V}" and "Done unloading
servable version {...}" (core/loader_harness.cc), and so does the compatible server. Under the
availability-preserving policy the new version's load comes before the old one's unload, so
between the two lines the replica holds both versions in memory."""

# --8<-- [start:lifecycle]
import re
import time

LIFECYCLE = re.compile(r"(Successfully loaded|Done unloading) servable version "
                       r"\{name: (\S+) version: (\d+)\}")


def lifecycle(log, model):
    """A model's loads and unloads in the order the server logged them: ['loaded 1', ...]."""
    verbs = {"Successfully loaded": "loaded", "Done unloading": "unloaded"}
    return [f"{verbs[verb]} {version}" for verb, name, version in LIFECYCLE.findall(log)
            if name == model]


def logged_lifecycle(read_log, model, until, timeout=30.0):
    """lifecycle() once the event `until` (e.g. "unloaded 1") is in the log (an unload is logged
    a moment after the status API stops listing it); TimeoutError if it is not within `timeout` s."""
    deadline = time.monotonic() + timeout
    while until not in (events := lifecycle(read_log(), model)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{model}: no {until!r} logged within {timeout} s, only {events}")
        time.sleep(0.1)
    return events
# --8<-- [end:lifecycle]


# --8<-- [start:swap]
for name in cluster.names:
    events = logged_lifecycle(lambda: cluster.log(name), "digits", until="unloaded 1")
    print(name, " -> ".join(events))
# --8<-- [end:swap]

"""One managed version of a model and its states.

Mirrors tensorflow_serving/core/loader_harness.h (the harness states) and the client-visible
ManagerState of core/servable_state.h that core/servable_state_monitor.cc reports.
"""
import threading

# Client-visible states (ServableState::ManagerState), as GetModelStatus reports them.
START, LOADING, AVAILABLE, UNLOADING, END = "START", "LOADING", "AVAILABLE", "UNLOADING", "END"
# Harness states (LoaderHarness::State), and the client-visible state of each.
NEW, LOADING_H, READY, UNLOADING_H, ERROR, DONE = "new", "loading", "ready", "unloading", "error", "done"
VISIBLE = {NEW: START, LOADING_H: LOADING, READY: AVAILABLE, UNLOADING_H: UNLOADING, ERROR: END, DONE: END}


class Harness:
    """A version's loader state, its servable once loaded, and the handles in flight."""

    __slots__ = ("version", "path", "state", "error", "servable", "refs", "cond")

    def __init__(self, version, path):
        self.version = version
        self.path = path
        self.state = NEW
        self.error = None
        self.servable = None
        self.refs = 0
        self.cond = threading.Condition()

"""One managed version of a model, its states, and the handles requests hold on it.

Mirrors tensorflow_serving/core/loader_harness.h (the harness states), the client-visible
ManagerState of core/servable_state.h that core/servable_state_monitor.cc reports, and
core/servable_handle.h (a reference that keeps a loaded version from unloading).
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


class Model:
    """A configured model: its config, aspired versions, harnesses and state history."""

    def __init__(self, config):
        self.name = config.name
        self.config = config
        self.aspired = {}      # version -> path (from the last successful poll)
        self.harnesses = {}    # version -> Harness (managed)
        self.history = {}      # version -> (state, error)  servable_state_monitor
        self.latest = None     # highest READY harness (fast path for Latest())
        self.polled_once = False


class Handle:
    """A ref-counted reference to a loaded servable (ServableHandle)."""
    __slots__ = ("servable", "_h")

    def __init__(self, h):
        self._h = h
        self.servable = h.servable

    def release(self):
        h = self._h
        with h.cond:
            h.refs -= 1
            if h.refs == 0:
                h.cond.notify_all()

    def __enter__(self):
        return self.servable

    def __exit__(self, *a):
        self.release()

"""Model lifecycle: the manager that applies the version source's aspired versions.

The pure decisions live apart, as in TF Serving: storage_path_source.py (which versions,
sources/storage_path/file_system_storage_path_source.cc), availability_preserving_policy.py
(load new before unloading old, core/availability_preserving_policy.cc), loader_harness.py
(states, core/loader_harness.h), and the server core it inherits (config, labels, resolution,
model_servers/server_core.cc) in server_core.py. Here: core/aspired_versions_manager.cc
(errored harnesses stay while aspired), core/loader_harness.cc + util/retrier.cc (load
retries), core/servable_state_monitor.cc (state history, highest version first).
One manager thread polls every --file_system_poll_wait_seconds and performs
loads/unloads serially (num_load_threads=0 semantics).
"""
import logging
import os
import threading
import time

from tensorflow_serving.config import model_server_config_pb2

from . import storage_path_source
from .availability_preserving_policy import next_action
from .errors import ServingError, C
from .loader_harness import (START, LOADING, AVAILABLE, UNLOADING, END, NEW as _H_NEW, LOADING_H as _H_LOADING,
                             READY as _H_READY, UNLOADING_H as _H_UNLOADING, ERROR as _H_ERROR, DONE as _H_DONE,
                             Harness as _Harness)
from .server_core import ServerCore

log = logging.getLogger("tensorflow_serving")


class Manager(ServerCore):
    def __init__(self, opts, load_fn):
        """load_fn(name, version, path) -> servable (raises ServingError on failure)."""
        self.opts = opts
        self.load_fn = load_fn
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.models = {}
        self.labels = None       # {model: {label: version}}; None until the first config
        self.config = model_server_config_pb2.ModelServerConfig()
        self.config_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = None
        self.on_state_change = None  # optional hook (metrics)

    def loaded_servables(self):
        with self.lock:
            return [h.servable for m in self.models.values() for h in m.harnesses.values() if h.state == _H_READY]

    # ---- the manager thread ------------------------------------------
    def start(self):
        self._thread = threading.Thread(target=self._loop, name="manager", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._wake.set()
        with self.lock:
            self.changed.notify_all()
        if self._thread:
            self._thread.join(timeout=10)
        with self.lock:
            hs = [h for m in self.models.values() for h in m.harnesses.values() if h.servable is not None]
        for h in hs:
            h.servable.unload()

    def _loop(self):
        wait = self.opts.file_system_poll_wait_seconds
        polled = set()
        while not self._stop.is_set():
            with self.lock:
                items = list(self.models.items())
            for name, m in items:
                # wait > 0: poll every period; 0: poll once; < 0: never (source semantics).
                if m.config is None:
                    m.aspired = {}
                elif wait > 0 or (wait == 0 and name not in polled):
                    self._poll(m)
                    polled.add(name)
                self._act(m)
            self._wake.wait(wait if wait > 0 else 1.0)
            self._wake.clear()

    def _poll(self, m):
        """FileSystemStoragePathSource::PollFileSystemForServable."""
        mc = m.config
        if mc is None:
            m.aspired = {}
            return
        base = mc.base_path
        try:
            children = os.listdir(base)
        except OSError as e:
            log.error("FileSystemStoragePathSource encountered a filesystem access error: Could not find base path "
                      "%s for servable %s with error %s", base, mc.name, _os_error(e, base))
            return
        found, warnings = storage_path_source.version_directories(mc.name, base, children)
        aspired, more = storage_path_source.aspired_versions(mc, found)
        for warning in warnings + more:
            log.warning("%s", warning)
        with self.lock:
            m.aspired = aspired
            for v, p in aspired.items():
                if v not in m.harnesses:
                    m.harnesses[v] = _Harness(v, p)
                    self._record(m, v, START, None)

    def _act(self, m):
        """Apply AvailabilityPreservingPolicy actions until none is left."""
        while not self._stop.is_set():
            with self.lock:
                # aspired_versions_manager FlushServables: drop un-aspired new/error harnesses.
                for v in list(m.harnesses):
                    h = m.harnesses[v]
                    if v not in m.aspired and h.state in (_H_NEW, _H_ERROR):
                        del m.harnesses[v]
                        if h.state == _H_NEW:
                            self._record(m, v, END, None)
                    elif h.state == _H_DONE:
                        del m.harnesses[v]
                decision = next_action((h.version, h.version in m.aspired, h.state) for h in m.harnesses.values())
                action = None if decision is None else (decision[0], m.harnesses[decision[1]])
            if action is None:
                return
            if action[0] == "load":
                self._load(m, action[1])
            else:
                self._unload(m, action[1])

    def _load(self, m, h):
        name = m.name
        with self.lock:
            h.state = _H_LOADING
            self._record(m, h.version, LOADING, None)
        retries = max(self.opts.max_num_load_retries, 0)
        interval = self.opts.load_retry_interval_micros / 1e6
        err = None
        for attempt in range(retries + 1):
            if attempt:
                if interval > 0 and self._stop.wait(interval):
                    break
                with self.lock:
                    if h.version not in m.aspired:
                        break  # retries are cancelled once un-aspired
            log.info("Loading servable: {name: %s version: %d}", name, h.version)
            try:
                sv = self.load_fn(name, h.version, h.path)
                err = None
                break
            except ServingError as e:
                err = e
            except Exception as e:  # noqa: BLE001  a broken version must never kill the server
                err = ServingError(C.UNKNOWN, "%s: %s" % (type(e).__name__, e))
            log.error("Loading servable: {name: %s version: %d} failed: %s", name, h.version, err.to_string())
        with self.lock:
            if err is None:
                h.servable = sv
                h.state = _H_READY
                self._update_latest(m)
                self._record(m, h.version, AVAILABLE, None)
                log.info("Successfully loaded servable version {name: %s version: %d}", name, h.version)
            else:
                h.state = _H_ERROR
                h.error = err
                self._record(m, h.version, END, err)

    def _unload(self, m, h):
        with self.lock:
            h.state = _H_UNLOADING
            self._update_latest(m)
            self._record(m, h.version, UNLOADING, None)
        with h.cond:  # wait for in-flight requests holding handles
            while h.refs > 0:
                h.cond.wait(1.0)
        if h.servable is not None:
            h.servable.unload()
        with self.lock:
            h.servable = None
            h.state = _H_DONE
            self._record(m, h.version, END, None)
        log.info("Done unloading servable version {name: %s version: %d}", m.name, h.version)

    def _update_latest(self, m):
        ready = [h for h in m.harnesses.values() if h.state == _H_READY]
        m.latest = max(ready, key=lambda h: h.version) if ready else None

    def _record(self, m, version, state, err):
        m.history[version] = (state, err)
        self.changed.notify_all()
        if self.on_state_change:
            self.on_state_change(m, version, state)


def _os_error(e, path):
    if isinstance(e, FileNotFoundError):
        return "NOT_FOUND: %s; No such file or directory" % path
    return "%s: %s" % (type(e).__name__, e)


_ = time

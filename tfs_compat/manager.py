"""Model lifecycle: the manager that applies the version source's aspired versions.

The pure decisions live apart, as in TF Serving: storage_path_source.py (which versions,
sources/storage_path/file_system_storage_path_source.cc), availability_preserving_policy.py
(load new before unloading old, core/availability_preserving_policy.cc), loader_harness.py
(states, core/loader_harness.h). Here: core/aspired_versions_manager.cc (errored harnesses stay
while aspired), core/loader_harness.cc + util/retrier.cc (load retries),
core/servable_state_monitor.cc (state history, highest version first),
model_servers/server_core.cc (config validation, label map, reload, waits).
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
from .errors import ServingError, C, invalid_argument, not_found, failed_precondition, unknown
from .loader_harness import (START, LOADING, AVAILABLE, UNLOADING, END, NEW as _H_NEW, LOADING_H as _H_LOADING,
                             READY as _H_READY, UNLOADING_H as _H_UNLOADING, ERROR as _H_ERROR, DONE as _H_DONE,
                             Harness as _Harness)

log = logging.getLogger("tensorflow_serving")


def is_relative(path):
    # server_core.cc UriIsRelativePath: no scheme/host and not starting with '/'.
    return "://" not in path and not path.startswith("/")


class _Model:
    def __init__(self, config):
        self.name = config.name
        self.config = config
        self.aspired = {}      # version -> path (from the last successful poll)
        self.harnesses = {}    # version -> _Harness (managed)
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


class Manager:
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

    # ---- config -------------------------------------------------------
    def reload_config(self, new_config, wait=True):
        """ServerCore::ReloadConfig semantics (validation, labels, then models)."""
        with self.config_lock:
            first = not self.config.HasField("model_config_list") and not self.config.HasField("custom_model_config")
            same = self.config == new_config
            both_lists = self.config.HasField("model_config_list") and new_config.HasField("model_config_list")
            if not (first or same or both_lists):
                raise failed_precondition("Cannot transition to requested config. It is only legal to transition "
                                          "from one ModelConfigList to another.")
            if not new_config.HasField("model_config_list"):
                if new_config.HasField("custom_model_config"):
                    raise invalid_argument("Missing custom_model_config_loader in ServerCore Options")
                log.info("Taking no action for empty config.")
                return
            configs = list(new_config.model_config_list.config)
            names = set()
            for mc in configs:
                if mc.name in names:
                    raise invalid_argument("Illegal to list model %s multiple times in config list" % mc.name)
                names.add(mc.name)
            for mc in configs:
                if is_relative(mc.base_path):
                    raise invalid_argument("Expected model %s to have an absolute path or URI; got base_path()=%s"
                                           % (mc.name, mc.base_path))
            old_platforms = {}
            for mc in self.config.model_config_list.config:
                old_platforms[mc.name] = _platform(mc)
            for mc in configs:
                p = _platform(mc)
                if mc.name in old_platforms and old_platforms[mc.name] != p:
                    raise invalid_argument("Illegal to change a model's platform. For model %s platform was %s and "
                                           "new platform requested is %s" % (mc.name, old_platforms[mc.name], p))
            self.config = model_server_config_pb2.ModelServerConfig()
            self.config.CopyFrom(new_config)
            self._update_labels(configs)
            for mc in configs:
                if _platform(mc) != "tensorflow":
                    raise invalid_argument("Model %s requests unsupported platform %s" % (mc.name, _platform(mc)))
            with self.lock:
                new_names = [mc.name for mc in configs if mc.name not in self.models or
                             self.models[mc.name].config is None]
                for mc in configs:
                    m = self.models.get(mc.name)
                    if m is None:
                        self.models[mc.name] = _Model(mc)
                    else:
                        m.config = mc
                for name, m in self.models.items():
                    if name not in names and m.config is not None:
                        m.config = None  # un-aspire everything: removed from config
            self._wake.set()
            if wait:
                self._wait_available(new_names, first)

    def _update_labels(self, configs):
        new = {}
        allow = self.opts.allow_version_labels_for_unavailable_models
        for mc in configs:
            with self.lock:
                m = self.models.get(mc.name)
                hist = dict(m.history) if m else {}
            for label, version in mc.version_labels.items():
                ok_any = False
                if allow:
                    cur = (self.labels or {}).get(mc.name, {}).get(label)
                    ok_any = cur is None or cur == version
                st = hist.get(version)
                if not ok_any and (st is None or st[0] != AVAILABLE):
                    raise failed_precondition("Request to assign label to version %d of model %s, which is not "
                                              "currently available for inference" % (version, mc.name))
                new.setdefault(mc.name, {})[label] = version
        self.labels = new

    def _wait_available(self, names, first):
        """Block until each model's first version is AVAILABLE or END (servable_state_monitor)."""
        with self.lock:
            while not self._stop.is_set():
                pending = [n for n in names if not any(s in (AVAILABLE, END) for s, _ in self.models[n].history.values())]
                if not pending:
                    break
                self.changed.wait(0.5)
            failed = []
            for n in names:
                hist = self.models[n].history
                for v in sorted(hist, reverse=True):
                    s, err = hist[v]
                    if s in (AVAILABLE, END):
                        if s != AVAILABLE:
                            failed.append((n, v, err))
                        break
        if failed:
            what = "servable(s)" if first else "model(s)"
            msg = "%d %s did not become available: {" % (len(failed), what)
            for n, v, err in failed:
                msg += "{{name: %s version: %d}%s}, " % (n, v, " due to error: " + err.to_string() if err else "")
            raise unknown(msg + "}")

    # ---- lookup (ServerCore::GetServableHandle) ------------------------
    def resolve_version(self, model_spec):
        """Returns (name, version|None) per ModelSpec (version/label/latest)."""
        name = model_spec.name
        if not name:
            raise invalid_argument("ModelSpec has no name specified.")
        which = model_spec.WhichOneof("version_choice")
        if which == "version":
            return name, model_spec.version.value
        if which == "version_label":
            label = model_spec.version_label
            if self.labels is None:
                raise ServingError(C.UNAVAILABLE, "Model labels does not init yet." + label)
            v = self.labels.get(name, {}).get(label)
            if v is None:
                raise invalid_argument("Unrecognized servable version label: %s" % label)
            return name, v
        return name, None

    def get_handle(self, model_spec):
        name, version = self.resolve_version(model_spec)
        with self.lock:
            m = self.models.get(name)
            h = None
            if m is not None:
                if version is None:
                    h = m.latest
                else:
                    h = m.harnesses.get(version)
                    if h is not None and h.state != _H_READY:
                        h = None
            if h is None:
                if version is None:
                    raise not_found("Servable not found for request: Latest(%s)" % name)
                raise not_found("Servable not found for request: Specific(%s, %d)" % (name, version))
            with h.cond:
                h.refs += 1
        return Handle(h)

    def status(self, name, version=None):
        """GetModelStatus data: list of (version, state, error) highest first."""
        with self.lock:
            m = self.models.get(name)
            hist = dict(m.history) if m else {}
        if version is not None:
            if version not in hist:
                raise not_found("Could not find version %d of model %s" % (version, name))
            s, e = hist[version]
            return [(version, s, e)]
        if not hist:
            raise not_found("Could not find any versions of model %s" % name)
        return [(v, hist[v][0], hist[v][1]) for v in sorted(hist, reverse=True)]

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


def _platform(mc):
    """server_core.cc GetPlatform."""
    if mc.model_type != 0:
        if mc.model_platform:
            raise invalid_argument("Illegal setting both ModelServerConfig::model_type (deprecated) and "
                                   "ModelServerConfig::model_platform, model name is %s" % mc.name)
        if mc.model_type == 1:
            return "tensorflow"
        raise invalid_argument("ModelServerConfig::model_type choice %d not supported." % mc.model_type)
    if not mc.model_platform:
        raise invalid_argument("Illegal setting neither ModelServerConfig::model_type (deprecated) nor "
                               "ModelServerConfig::model_platform, model name is %s" % mc.name)
    return mc.model_platform


def _os_error(e, path):
    if isinstance(e, FileNotFoundError):
        return "NOT_FOUND: %s; No such file or directory" % path
    return "%s: %s" % (type(e).__name__, e)


_ = time

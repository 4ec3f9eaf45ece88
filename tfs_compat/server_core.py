"""The server core over the manager: config validation and reload, version labels, and the
resolution of a request's ModelSpec to a loaded version.

Mirrors tensorflow_serving/model_servers/server_core.cc (ReloadConfig, ValidateConfig,
UpdateModelVersionLabelMap, GetServableHandle, UriIsRelativePath, GetPlatform),
core/load_servables_fast.cc (waiting for the first versions at startup) and
model_servers/get_model_status_impl.cc's lookup of a model's states. The manager
(manager.py) is the class that inherits it and owns the state it reads.
"""
import logging

from tensorflow_serving.config import model_server_config_pb2

from .errors import ServingError, C, invalid_argument, not_found, failed_precondition, unknown
from .loader_harness import AVAILABLE, END, READY as _H_READY, Handle, Model as _Model

log = logging.getLogger("tensorflow_serving")


def is_relative(path):
    # server_core.cc UriIsRelativePath: no scheme/host and not starting with '/'.
    return "://" not in path and not path.startswith("/")


class ServerCore:
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

"""One loaded SavedModel version: a tf.compat.v1 Session over its own Graph.

Mirrors TF Serving's SavedModelBundle (servables/tensorflow/saved_model_bundle_factory.cc,
TF cc/saved_model/loader.cc): the MetaGraph for the configured tags is
imported into a classic Session and signatures are run by tensor name, so
TF1 and TF2 (incl. Keras 3 `model.export()`) exports behave the same.
Signature runs call Session::Run through TF's C API (TF_SessionRun) with the
RunOptions of each call, as TF Serving's Session::Run(run_options, ...) does:
the deadline of a call is its RunOptions.timeout_in_ms and keys nothing (a
callable per deadline would be a cache any client can grow). DirectSession
itself caches its executors per (sorted feeds, fetches), a set bounded by the
signatures. Feed/fetch names are resolved to graph outputs once per name.
"""
import logging
import os
import threading
import time

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2
from tensorflow.python.client import pywrap_tf_session as tf_session

from . import metrics
from .errors import ServingError, C, from_tf_exception

log = logging.getLogger("tensorflow_serving")

WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")
MAX_WARMUP_RECORDS = 1000  # servables/tensorflow/saved_model_warmup_util.cc


def _find_saved_model(path):
    for name in ("saved_model.pb", "saved_model.pbtxt"):
        if os.path.exists(os.path.join(path, name)):
            return True
    return False


class Servable:
    """A loaded model version (name, version, meta_graph_def, session)."""

    def __init__(self, name, version, path, tags, session_config=None):
        started = time.perf_counter()
        try:
            self._load(name, version, path, tags, session_config)
        except BaseException:
            metrics.inc(metrics.load_attempt_count, path, "fail")
            raise
        metrics.inc(metrics.load_attempt_count, path, "success")
        metrics.inc(metrics.load_latency, path, n=int((time.perf_counter() - started) * 1e6))

    def _load(self, name, version, path, tags, session_config):
        self.name = name
        self.version = version
        self.path = path
        if not _find_saved_model(path):
            # TF cc/saved_model/reader.cc wording.
            raise ServingError(C.NOT_FOUND, (
                "Could not find SavedModel .pb or .pbtxt at supplied export directory path: %s. "
                "Check that the directory exists and that you have the right permissions for "
                "accessing it." % path))
        self.graph = tf.Graph()
        self.session = tf.compat.v1.Session(graph=self.graph, config=session_config)
        try:
            with self.graph.as_default():
                self.meta_graph_def = tf.compat.v1.saved_model.loader.load(self.session, tags, path)
        except RuntimeError as e:
            self.session.close()
            if "could not be found in SavedModel" in str(e):
                # TF cc/saved_model/loader_util / reader.cc FindMetaGraphDef wording.
                raise ServingError(C.NOT_FOUND, (
                    "Could not find meta graph def matching supplied tags: { %s }. To inspect "
                    "available tag-sets in the SavedModel, please use the SavedModel CLI: "
                    "`saved_model_cli`" % " ".join(tags)))
            raise ServingError(C.UNKNOWN, str(e))
        except tf.errors.OpError as e:
            self.session.close()
            raise from_tf_exception(e)
        except Exception as e:  # corrupt protos, bad variables, ...
            self.session.close()
            raise ServingError(C.INTERNAL, "%s: %s" % (type(e).__name__, e))
        self.signatures = dict(self.meta_graph_def.signature_def)
        self._outputs = {}  # tensor name → TF_Output; keys come from this servable's signatures only
        self._lock = threading.Lock()
        self.batcher = None  # set by batching.py when --enable_batching

    def _output(self, name):
        out = self._outputs.get(name)
        if out is None:
            with self._lock:
                try:
                    out = self.graph.get_tensor_by_name(name)._as_tf_output()  # pylint: disable=protected-access
                except (KeyError, ValueError) as e:
                    raise ServingError(C.INVALID_ARGUMENT, str(e))
                self._outputs[name] = out
        return out

    def run(self, feed_names, feed_values, fetch_names, timeout_ms=0):
        """Session::Run by tensor names → list of numpy arrays. Raises ServingError."""
        feeds = {self._output(n): v for n, v in zip(feed_names, feed_values)}
        fetches = [self._output(n) for n in fetch_names]
        options = None
        if timeout_ms and timeout_ms > 0:
            options = tf_session.TF_NewBufferFromString(
                config_pb2.RunOptions(timeout_in_ms=int(timeout_ms)).SerializeToString())
        try:
            return tf_session.TF_SessionRun_wrapper(self.session._session, options, feeds, fetches, [], None)  # pylint: disable=protected-access
        except tf.errors.OpError as e:
            raise from_tf_exception(e)
        finally:
            if options is not None:
                tf_session.TF_DeleteBuffer(options)

    def unload(self):
        try:
            self._outputs.clear()
            self.session.close()
        except Exception:  # noqa: BLE001
            pass


def warmup(servable, core_fns, num_iterations=0):
    """Replay assets.extra/tf_serving_warmup_requests (saved_model_warmup_util.cc).

    core_fns maps PredictionLog oneof names to callables(servable, request).
    Any failure fails the load, like TF Serving.
    """
    path = os.path.join(servable.path, WARMUP_FILE)
    if not os.path.exists(path):
        log.info("No warmup data file found at %s", path)
        return
    from tensorflow_serving.apis import prediction_log_pb2
    count = 0
    iterations = num_iterations if num_iterations > 0 else 1
    try:
        records = list(tf.compat.v1.io.tf_record_iterator(path))
    except Exception as e:  # noqa: BLE001
        raise ServingError(C.DATA_LOSS, "Failed to read warmup file %s: %s" % (path, e))
    for raw in records:
        count += 1
        if count > MAX_WARMUP_RECORDS:
            raise ServingError(C.INVALID_ARGUMENT, (
                "Number of warmup records exceeeds the maximum (%d) at %s" % (MAX_WARMUP_RECORDS, path)))
        plog = prediction_log_pb2.PredictionLog.FromString(raw)
        kind = plog.WhichOneof("log_type")
        fn = core_fns.get(kind)
        if fn is None:
            raise ServingError(C.UNIMPLEMENTED, "Unsupported log_type for warmup: %s" % kind)
        req = getattr(plog, kind).request
        for _ in range(iterations):
            fn(servable, req)
    log.info("Finished reading warmup data for model at %s. Number of warmup records read: %d.",
             path, count)


def session_config(opts):
    """ConfigProto from the parallelism flags (model_servers/server.cc)."""
    cfg = config_pb2.ConfigProto()
    if opts.tensorflow_session_config_file:
        from google.protobuf import text_format
        with open(opts.tensorflow_session_config_file) as f:
            text_format.Parse(f.read(), cfg)
    if opts.tensorflow_session_parallelism > 0:
        cfg.intra_op_parallelism_threads = opts.tensorflow_session_parallelism
        cfg.inter_op_parallelism_threads = opts.tensorflow_session_parallelism
    if opts.tensorflow_intra_op_parallelism > 0:
        cfg.intra_op_parallelism_threads = opts.tensorflow_intra_op_parallelism
    if opts.tensorflow_inter_op_parallelism > 0:
        cfg.inter_op_parallelism_threads = opts.tensorflow_inter_op_parallelism
    return cfg


_ = np  # numpy used by callers via returned arrays

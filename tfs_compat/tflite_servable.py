"""A version directory served from its model.tflite with the LiteRT interpreter (--prefer_tflite_model).

Mirrors TF Serving's TfLiteSession (servables/tensorflow/tflite_session.cc, chosen by
saved_model_bundle_factory.cc when --prefer_tflite_model is set and model.tflite exists):
- SignatureDefs come from the model's "signature_defs_metadata" (a flexbuffer map of serialized
  SignatureDef protos, TF lite/tools/signature/signature_def_util.cc); a model without them gets a
  generated `serving_default` (method predict) whose keys and TensorInfo names are the
  interpreter's input/output tensor names with any ":N" removed, with their dtypes and dims;
- signature tensor names are matched to interpreter tensors as written, else without ":N"
  (FixTfLiteTensorName);
- an input whose dims differ from the interpreter's is resized, then tensors are reallocated;
  output shapes are the interpreter's after the run.
TfLiteSession copies input bytes without a dtype check; this server refuses a wrong dtype with the
text DirectSession gives (README, deviations). One interpreter, used under a lock.
"""
import os
import threading

import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from .errors import ServingError, C, invalid_argument
from .tensors import dtype_name

MODEL_FILE = "model.tflite"
PREDICT = "tensorflow/serving/predict"
_DT_BY_NP = {
    np.dtype(np.float32): types_pb2.DT_FLOAT, np.dtype(np.float64): types_pb2.DT_DOUBLE,
    np.dtype(np.int32): types_pb2.DT_INT32, np.dtype(np.int64): types_pb2.DT_INT64,
    np.dtype(np.uint8): types_pb2.DT_UINT8, np.dtype(np.int8): types_pb2.DT_INT8,
    np.dtype(np.int16): types_pb2.DT_INT16, np.dtype(np.bool_): types_pb2.DT_BOOL,
    np.dtype(np.complex64): types_pb2.DT_COMPLEX64, np.dtype(np.object_): types_pb2.DT_STRING,
    np.dtype(np.bytes_): types_pb2.DT_STRING,
}


def has_tflite_model(path):
    return os.path.isfile(os.path.join(path, MODEL_FILE))


def _strip_index(name):
    return name.split(":", 1)[0]


def _signature_defs_metadata(model_bytes):
    """{key: SignatureDef} from the model's signature_defs_metadata, or {} if it has none."""
    from flatbuffers import flexbuffers  # noqa: PLC0415  (a dependency of TensorFlow)
    from tensorflow.lite.tools import flatbuffer_utils  # noqa: PLC0415

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    for md in model.metadata or []:
        name = md.name.decode() if isinstance(md.name, bytes) else md.name
        if name != "signature_defs_metadata":
            continue
        root = flexbuffers.GetRoot(bytes(model.buffers[md.buffer].data)).AsMap
        keys, values = root.Keys, root.Values
        return {keys[i].AsKey: meta_graph_pb2.SignatureDef.FromString(values[i].AsStringBytes)
                for i in range(len(keys))}
    return {}


class TfLiteServable:
    """A loaded model.tflite version with Servable's interface (signatures, run, unload)."""

    def __init__(self, name, version, path):
        from ai_edge_litert.interpreter import Interpreter  # noqa: PLC0415

        self.name, self.version, self.path = name, version, path
        with open(os.path.join(path, MODEL_FILE), "rb") as f:
            model_bytes = f.read()
        try:
            self.interpreter = Interpreter(model_content=model_bytes)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise ServingError(C.INTERNAL, "Failed to load TfLite model: %s" % e)
        self._inputs = {d["name"]: d for d in self.interpreter.get_input_details()}
        self._outputs = {d["name"]: d for d in self.interpreter.get_output_details()}
        self._shapes = {d["index"]: tuple(int(x) for x in d["shape"]) for d in self._inputs.values()}
        self.signatures = _signature_defs_metadata(model_bytes) or {"serving_default": self._generated_signature()}
        self._lock = threading.Lock()
        self.batcher = None

    def _generated_signature(self):
        """tflite_session.cc: "No signature def found in TFLite model. Generating one." """
        sig = meta_graph_pb2.SignatureDef(method_name=PREDICT)
        for details, infos in ((self._inputs, sig.inputs), (self._outputs, sig.outputs)):
            for name, d in details.items():
                info = infos[_strip_index(name)]
                info.name = _strip_index(name)
                info.dtype = _DT_BY_NP.get(np.dtype(d["dtype"]), types_pb2.DT_INVALID)
                for dim in d["shape"]:
                    info.tensor_shape.dim.add(size=int(dim))
        return sig

    @staticmethod
    def _find(details, name):
        """FixTfLiteTensorName: the name as written, else without its ":N"."""
        d = details.get(name) or details.get(_strip_index(name))
        if d is None:
            raise ServingError(C.INTERNAL, "Unknown tensor '%s'." % name)
        return d

    def run(self, feed_names, feed_values, fetch_names, timeout_ms=0):
        del timeout_ms  # TfLiteSession::Run ignores RunOptions
        it = self.interpreter
        with self._lock:
            for i, (name, value) in enumerate(zip(feed_names, feed_values)):
                d = self._find(self._inputs, name)
                value = np.asarray(value)
                if value.dtype != np.dtype(d["dtype"]):
                    raise invalid_argument("Expects arg[%d] to be %s but %s is provided" % (
                        i, dtype_name(_DT_BY_NP.get(np.dtype(d["dtype"]), 0)),
                        dtype_name(_DT_BY_NP.get(value.dtype, 0))))
                if self._shapes[d["index"]] != value.shape:
                    it.resize_tensor_input(d["index"], list(value.shape))
                    it.allocate_tensors()
                    self._shapes[d["index"]] = value.shape
                it.set_tensor(d["index"], value)
            try:
                it.invoke()
            except (ValueError, RuntimeError) as e:
                raise ServingError(C.INTERNAL, "Failed to invoke TfLite interpreter: %s" % e)
            return [it.get_tensor(self._find(self._outputs, n)["index"]) for n in fetch_names]

    def unload(self):
        self.interpreter = None

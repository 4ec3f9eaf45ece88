"""Signature lookup shared by Predict, Classify/Regress/MultiInference and GetModelMetadata.

The method names of TF's cc/saved_model/signature_constants.h and a per-servable cache of each
signature's sorted input and output names (the handlers' hot path).
"""
from google.protobuf import text_format

DEFAULT_SIG = "serving_default"
PREDICT, CLASSIFY, REGRESS = "tensorflow/serving/predict", "tensorflow/serving/classify", "tensorflow/serving/regress"


def _keys(m):
    return ",".join(sorted(m))


def _sig_debug(sig):
    return text_format.MessageToString(sig)


class _SigCache:
    """Per (servable, signature) precomputed names — keeps the hot path lean."""
    __slots__ = ("inputs", "outputs", "all_outputs", "has_defaults")

    def __init__(self, sig):
        self.inputs = sorted((a, i.name, i.dtype) for a, i in sig.inputs.items())
        self.outputs = {a: (i.name, i.dtype) for a, i in sig.outputs.items()}
        self.all_outputs = sorted(self.outputs)
        self.has_defaults = len(sig.defaults) > 0


def _sig_cache(servable, name):
    cache = servable.__dict__.setdefault("_sigcache", {})
    c = cache.get(name)
    if c is None:
        c = cache[name] = _SigCache(servable.signatures[name])
    return c

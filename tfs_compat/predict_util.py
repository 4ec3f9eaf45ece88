"""Predict on a loaded servable: signature and input checks, output filter, run.

Mirrors tensorflow_serving/servables/tensorflow/predict_util.cc (RunPredict, PreProcessPrediction,
PostProcessPredictionResult) and TF cc/saved_model/util.cc (GetInputValues: defaults, extra and
missing inputs). Errors are ServingError (a status code and message); the fronts map them.
"""
import numpy as np
from tensorflow_serving.apis import model_pb2, predict_pb2

from .errors import invalid_argument, failed_precondition, internal
from .tensors import array_to_proto, proto_to_array, TensorParseError
from .signature_util import DEFAULT_SIG, PREDICT, CLASSIFY, REGRESS, _keys, _sig_cache


class PredictImpl:
    # ---- Predict ----------------------------------------------------------
    def predict_arrays(self, request, timeout_ms=0, arrays=None):
        """Runs a PredictRequest. Returns (model_spec_proto, [(alias, dtype, ndarray)]).
        `arrays` ({alias: ndarray}, from REST) stands in for request.inputs."""
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        with self.manager.get_handle(request.model_spec) as sv:
            return self.predict_on(sv, request, timeout_ms, arrays)

    def predict_on(self, sv, request, timeout_ms=0, arrays=None):
        sig_name = request.model_spec.signature_name or DEFAULT_SIG
        sig = sv.signatures.get(sig_name)
        if sig is None:
            raise failed_precondition('Serving signature key "%s" not found.' % sig_name)
        if self.method_check and sig.method_name not in (PREDICT, CLASSIFY, REGRESS):
            raise internal("Expected prediction signature method_name to be one of {%s, %s, %s}. Was: %s"
                           % (PREDICT, CLASSIFY, REGRESS, sig.method_name))
        sc = _sig_cache(sv, sig_name)
        req_inputs = request.inputs if arrays is None else arrays
        n_req, n_sig = len(req_inputs), len(sc.inputs)
        if n_req > n_sig or (n_req < n_sig and not sc.has_defaults):
            rk, sk = set(req_inputs.keys()), {a for a, _, _ in sc.inputs}
            raise invalid_argument(
                "input size does not match signature: %d!=%d len({%s}) != len({%s}). Sent extra: {%s}. "
                "Missing but required: {%s}." % (n_req, n_sig, _keys(rk), _keys(sk), _keys(rk - sk), _keys(sk - rk)))
        feed_names, feed_values, seen = [], [], 0
        for alias, tname, dtype in sc.inputs:
            if alias in req_inputs:
                tp = req_inputs[alias]
                seen += 1
            elif alias in sig.defaults:
                tp = sig.defaults[alias]
            else:
                raise invalid_argument(
                    "Signature input alias: %s(feed name: %s) not found in request and no default value provided. "
                    "Inputs expected to be in the request {%s}, or default input alias set: %s"
                    % (alias, tname, _keys(req_inputs.keys()), _keys(sig.defaults.keys())))
            if isinstance(tp, np.ndarray):
                arr = tp
            else:
                try:
                    arr = proto_to_array(tp)
                except TensorParseError:
                    raise invalid_argument("tensor parsing error: %s" % alias)
            feed_names.append(tname)
            feed_values.append(arr)
        if n_req and seen != n_req:
            used = sorted(a for a, _, _ in sc.inputs if a in req_inputs)
            raise invalid_argument("Inputs contains invalid name. Used request inputs: %s, request input: %s"
                                   % (",".join(used), _keys(req_inputs.keys())))
        if request.output_filter:
            aliases, seen_out = [], set()
            for a in request.output_filter:
                if a not in sc.outputs:
                    raise invalid_argument("output tensor alias not found in signature: %s Outputs expected to be in "
                                           "the set {%s}." % (a, ",".join(sc.all_outputs)))
                if a in seen_out:
                    raise invalid_argument("duplicate output tensor alias: %s" % a)
                seen_out.add(a)
                aliases.append(a)
        else:
            aliases = sc.all_outputs
        fetch_names = [sc.outputs[a][0] for a in aliases]
        if sv.batcher is not None:
            outs = sv.batcher.run(sig_name, feed_names, feed_values, fetch_names, timeout_ms)
        else:
            outs = sv.run(feed_names, feed_values, fetch_names, timeout_ms)
        spec = model_pb2.ModelSpec(name=request.model_spec.name,
                                   signature_name=sig_name)
        spec.version.value = sv.version
        res = []
        for a, arr in zip(aliases, outs):
            arr = np.asarray(arr)
            res.append((a, sc.outputs[a][1], arr))
        return spec, res

    def predict(self, request, timeout_ms=0):
        spec, outs = self.predict_arrays(request, timeout_ms)
        resp = predict_pb2.PredictResponse()
        resp.model_spec.CopyFrom(spec)
        for a, _, arr in outs:
            resp.outputs[a].CopyFrom(array_to_proto(arr, self.tensor_content))
        return resp

    def signature_inputs(self, model_spec, signature_name):
        """REST GetInfoMap (http_rest_api_handler.cc): resolves servable + signature inputs."""
        with self.manager.get_handle(model_spec) as sv:
            name = signature_name or DEFAULT_SIG
            sig = sv.signatures.get(name)
            if sig is None:
                raise invalid_argument('Serving signature name: "%s" not found in signature def' % name)
            return dict(sig.inputs)

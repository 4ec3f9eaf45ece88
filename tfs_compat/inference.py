"""Classify, Regress and MultiInference on tf.Example inputs.

Mirrors tensorflow_serving/servables/tensorflow/classifier.cc, regressor.cc, multi_inference.cc
and util.cc (Input to serialized examples, MakeModelSpec). Errors are ServingError.
"""
import numpy as np
from tensorflow.core.framework import types_pb2
from tensorflow_serving.apis import classification_pb2, model_pb2, inference_pb2, regression_pb2

from .errors import invalid_argument, unimplemented
from .tensors import dt_of_array
from .signature_util import DEFAULT_SIG, CLASSIFY, REGRESS, _sig_debug


class InferenceImpl:
    # ---- Classify / Regress ---------------------------------------------
    def _get_sig(self, sv, spec, method):
        name = spec.signature_name or DEFAULT_SIG
        sig = sv.signatures.get(name)
        if sig is None:
            raise invalid_argument("No signature was found with the name: %s" % name)
        kind = "classification" if method == CLASSIFY else "regression"
        if self.method_check and sig.method_name != method:
            raise invalid_argument("Expected %s signature method_name to be %s. Was: %s" % (kind, method, sig.method_name))
        return name, sig

    @staticmethod
    def _serialized_examples(inp):
        """util.cc InputToSerializedExampleTensor."""
        which = inp.WhichOneof("kind")
        if which == "example_list":
            exs = [e.SerializeToString() for e in inp.example_list.examples]
        elif which == "example_list_with_context":
            ctx = inp.example_list_with_context.context.SerializeToString()
            exs = [ctx + e.SerializeToString() for e in inp.example_list_with_context.examples]
        else:
            exs = []
        if not exs:
            raise invalid_argument("Input is empty.")
        a = np.empty(len(exs), dtype=object)
        a[:] = exs
        return a

    @staticmethod
    def _classify_io(sig):
        if len(sig.inputs) != 1:
            raise invalid_argument("Expected one input Tensor.")
        if len(sig.outputs) not in (1, 2):
            raise invalid_argument("Expected one or two output Tensors, found %d" % len(sig.outputs))
        if "inputs" not in sig.inputs:
            raise invalid_argument("No classification inputs found in SignatureDef: %s" % _sig_debug(sig))
        if "classes" not in sig.outputs and "scores" not in sig.outputs:
            raise invalid_argument('Expected classification signature outputs to contain at least one of "classes" '
                                   'or "scores". Signature was: %s' % _sig_debug(sig))
        outs = [k for k in ("classes", "scores") if k in sig.outputs]
        return sig.inputs["inputs"].name, outs

    @staticmethod
    def _regress_io(sig):
        if len(sig.inputs) != 1:
            raise invalid_argument("Expected one input Tensor.")
        if len(sig.outputs) != 1:
            raise invalid_argument("Expected one output Tensor.")
        if "inputs" not in sig.inputs:
            raise invalid_argument("No regression inputs found in SignatureDef: %s" % _sig_debug(sig))
        if "outputs" not in sig.outputs:
            raise invalid_argument("No regression outputs found in SignatureDef: %s" % _sig_debug(sig))
        return sig.inputs["inputs"].name, ["outputs"]

    @staticmethod
    def _classification_result(outs, n, result):
        classes, scores = outs.get("classes"), outs.get("scores")
        for t, want, label in ((classes, types_pb2.DT_STRING, "classes"), (scores, types_pb2.DT_FLOAT, "scores")):
            if t is None:
                continue
            if t.ndim != 2:
                raise invalid_argument("Expected Tensor shape: [batch_size num_classes] but got [%s]"
                                       % ",".join(map(str, t.shape)))
            if dt_of_array(t) != want:
                raise invalid_argument("Expected %s Tensor of %s. Got: %s" % (
                    label, "DT_STRING" if want == types_pb2.DT_STRING else "DT_FLOAT",
                    types_pb2.DataType.Name(dt_of_array(t) or 0)))
            if t.shape[0] != n:
                raise invalid_argument("Expected %s output batch size of %d. Got: %d" % (label, n, t.shape[0]))
        if classes is not None and scores is not None and classes.shape[1] != scores.shape[1]:
            raise invalid_argument("Tensors class and score should match in dim_size(1). Got %d vs. %d"
                                   % (classes.shape[1], scores.shape[1]))
        k = (classes if classes is not None else scores).shape[1]
        for i in range(n):
            cl = result.classifications.add()
            for c in range(k):
                x = cl.classes.add()
                if classes is not None:
                    v = classes[i, c]
                    x.label = v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                if scores is not None:
                    x.score = float(scores[i, c])

    @staticmethod
    def _regression_result(out, n, result):
        if not (out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1)):
            raise invalid_argument("Expected output Tensor shape to be either [batch_size] or [batch_size, 1] but got [%s]"
                                   % ",".join(map(str, out.shape)))
        if out.shape[0] != n:
            raise invalid_argument("Input batch size did not match output batch size: %d vs. %d" % (n, out.shape[0]))
        if dt_of_array(out) != types_pb2.DT_FLOAT:
            raise invalid_argument("Expected output Tensor of DT_FLOAT.  Got: %s"
                                   % types_pb2.DataType.Name(dt_of_array(out) or 0))
        for v in out.reshape(-1).tolist():
            result.regressions.add().value = v

    def _run_examples(self, sv, sig, in_name, out_aliases, examples, timeout_ms):
        fetch = [sig.outputs[a].name for a in out_aliases]
        outs = sv.run([in_name], [examples], fetch, timeout_ms)
        return {a: np.asarray(o) for a, o in zip(out_aliases, outs)}

    def classify(self, request, timeout_ms=0):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        with self.manager.get_handle(request.model_spec) as sv:
            return self.classify_on(sv, request, timeout_ms)

    def classify_on(self, sv, request, timeout_ms=0):
        name, sig = self._get_sig(sv, request.model_spec, CLASSIFY)
        in_name, outs = self._classify_io(sig)
        ex = self._serialized_examples(request.input)
        res = self._run_examples(sv, sig, in_name, outs, ex, timeout_ms)
        resp = classification_pb2.ClassificationResponse()
        self._fill_spec(resp.model_spec, request.model_spec.name, name, sv.version)
        self._classification_result(res, len(ex), resp.result)
        return resp

    def regress(self, request, timeout_ms=0):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        with self.manager.get_handle(request.model_spec) as sv:
            return self.regress_on(sv, request, timeout_ms)

    def regress_on(self, sv, request, timeout_ms=0):
        name, sig = self._get_sig(sv, request.model_spec, REGRESS)
        in_name, outs = self._regress_io(sig)
        ex = self._serialized_examples(request.input)
        res = self._run_examples(sv, sig, in_name, outs, ex, timeout_ms)
        resp = regression_pb2.RegressionResponse()
        self._fill_spec(resp.model_spec, request.model_spec.name, name, sv.version)
        self._regression_result(res["outputs"], len(ex), resp.result)
        return resp

    @staticmethod
    def _fill_spec(spec, model, sig_name, version):
        spec.name = model
        spec.signature_name = sig_name
        spec.version.value = version

    def multi_inference(self, request, timeout_ms=0):
        """multi_inference_helper.cc: the handle comes from the first task's ModelSpec."""
        spec = request.tasks[0].model_spec if request.tasks else model_pb2.ModelSpec()
        with self.manager.get_handle(spec) as sv:
            return self.multi_inference_on(sv, request, timeout_ms)

    def multi_inference_on(self, sv, request, timeout_ms=0):
        """multi_inference.cc Infer: per task, in this order, the checks TF Serving makes."""
        model, seen, plans = "", set(), []
        for t in request.tasks:
            if not t.model_spec.name:
                raise invalid_argument("Found ModelSpec with an empty model name.")
            if not model:
                model = t.model_spec.name
            elif model != t.model_spec.name:
                raise invalid_argument("All ModelSpecs in a MultiInferenceRequest must access the same model name.")
            sname = t.model_spec.signature_name or DEFAULT_SIG
            if sname in seen:
                raise invalid_argument("Duplicate evaluation of signature: %s" % sname)
            seen.add(sname)
            sig = sv.signatures.get(sname)
            if sig is None:
                raise invalid_argument("Requested signature not found in model graph: %s" % sname)
            if t.method_name == CLASSIFY:
                in_name, outs = self._classify_io(sig)
            elif t.method_name == REGRESS:
                in_name, outs = self._regress_io(sig)
            else:
                raise unimplemented("Unsupported signature method_name: %s" % t.method_name)
            plans.append((t, sname, sig, in_name, outs))
        # multi_inference.cc (since 2.4.0, commit abb8d3b516a3): the input names go into a set and one
        # serialized-Example tensor feeds every one of them, in a single Session::Run (util.cc).
        in_names = sorted({p[3] for p in plans})
        ex = self._serialized_examples(request.input)
        fetch, where = [], []
        for i, (t, sname, sig, in_name, outs) in enumerate(plans):
            for a in outs:
                where.append((i, a))
                fetch.append(sig.outputs[a].name)
        results = sv.run(in_names, [ex] * len(in_names), fetch, timeout_ms)
        per = [dict() for _ in plans]
        for (i, a), arr in zip(where, results):
            per[i][a] = np.asarray(arr)
        resp = inference_pb2.MultiInferenceResponse()
        for (t, sname, sig, _, _), outs in zip(plans, per):
            r = resp.results.add()
            self._fill_spec(r.model_spec, t.model_spec.name, sname, sv.version)
            if t.method_name == CLASSIFY:
                self._classification_result(outs, len(ex), r.classification_result)
            else:
                self._regression_result(outs["outputs"], len(ex), r.regression_result)
        return resp

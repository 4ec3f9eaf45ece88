"""--prefer_tflite_model: a version directory holding model.tflite is served with the LiteRT interpreter.

source: tensorflow_serving/servables/tensorflow/saved_model_bundle_factory.cc (model.tflite is used
when the flag is set), tflite_session.cc (generated serving_default when the file has no
SignatureDefs, input resize), tensorflow_model_server_test.py testPredictTflite (x [2.0] -> y 3.0).
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from tests.tfs_compat.harness import assert_rpc_error, predict_request, to_ndarray


@pytest.fixture(scope="module")
def tflite_server(module_servers, tmp_path_factory):
    from tests.tfs_compat import models

    base = tmp_path_factory.mktemp("tflite") / "lite"
    models.write_tflite_half_plus_two(base, 123)
    return module_servers.start(["--model_name=lite", f"--model_base_path={base}", "--prefer_tflite_model=true"],
                                models=["lite"], name="tflite")


def test_generated_signature(tflite_server, http):
    meta = http.get(f"{tflite_server.rest_url}/v1/models/lite/metadata", timeout=30).json()
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert set(sig["inputs"]) == {"x"} and sig["inputs"]["x"]["name"] == "x"
    assert sig["inputs"]["x"]["dtype"] == "DT_FLOAT"
    assert [d["size"] for d in sig["inputs"]["x"]["tensor_shape"]["dim"]] == ["1", "1"]
    assert len(sig["outputs"]) == 1


def test_predict_grpc_resizes_the_input(tflite_server, prediction_stub_for):
    stub = prediction_stub_for(tflite_server)
    # [1] where the interpreter has [1, 1]: TfLiteSession resizes the input tensor.
    out = stub.Predict(predict_request("lite", {"x": np.array([2.0], np.float32)}), timeout=30)
    assert out.model_spec.version.value == 123
    assert out.model_spec.signature_name == "serving_default"
    (y,) = out.outputs.values()
    assert to_ndarray(y).tolist() == [3.0]
    out = stub.Predict(predict_request("lite", {"x": np.array([[2.0], [4.0]], np.float32)}), timeout=30)
    assert to_ndarray(next(iter(out.outputs.values()))).tolist() == [[3.0], [4.0]]


def test_predict_rest(tflite_server, http):
    resp = http.post(f"{tflite_server.rest_url}/v1/models/lite:predict", json={"instances": [[2.0]]}, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"predictions": [[3.0]]}  # one output: rows hold its values, no key


def test_wrong_dtype_is_refused(tflite_server, prediction_stub_for):
    # TfLiteSession would copy the bytes unchecked; this server refuses (README, deviations).
    assert_rpc_error(prediction_stub_for(tflite_server).Predict,
                     predict_request("lite", {"x": np.array([[2.0]], np.float64)}),
                     grpc.StatusCode.INVALID_ARGUMENT, "Expects arg[0] to be float but double is provided")

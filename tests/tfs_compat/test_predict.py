"""Predict over REST and gRPC: request formats, response shapes, dtypes, errors.

Models: see tests/tfs_compat/models.py (``half_plus_two`` reproduces TF Serving's test model).
"""

from __future__ import annotations

import base64
import json
import math

import grpc
import numpy as np
import pytest

from tests.tfs_compat.harness import (
    assert_json_error,
    assert_rpc_error,
    predict_request,
    to_ndarray,
)

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def post(http, url, body, **kw):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return http.post(url, data=data, timeout=30, **kw)


@pytest.fixture(scope="module")
def predict_url(rest_url):
    return lambda model, suffix="": f"{rest_url}/v1/models/{model}{suffix}:predict"


# ---------------------------------------------------------------------------------------------
# REST: formats and response shapes
# ---------------------------------------------------------------------------------------------
def test_rest_row_format_flat(http, predict_url):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testPredictREST
    r = post(http, predict_url("half_plus_two"), {"instances": [2.0, 3.0, 4.0]})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"predictions": [3.0, 3.5, 4.0]}


def test_rest_columnar_format_flat(http, predict_url):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testPredictColumnarREST
    r = post(http, predict_url("half_plus_two"), {"inputs": [2.0, 3.0, 4.0]})
    assert r.status_code == 200, r.text
    assert r.json() == {"outputs": [3.0, 3.5, 4.0]}


def test_rest_row_format_matches_signature_shape(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillTensorMapFromInstancesList (shape is
    # [len(instances)] + element shape); g3doc/api_rest.md "Specifying input tensors in row format"
    r = post(http, predict_url("half_plus_two"), {"instances": [[1.0], [2.0]]})
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [[2.5], [3.0]]}


def test_rest_explicit_signature_name(http, predict_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler_test.cc Predict
    # ("signature_name": "serving_default" with instances and with inputs)
    body = {"signature_name": "serving_default", "instances": [3.0, 4.0]}
    assert post(http, predict_url("half_plus_two"), body).json() == {"predictions": [3.5, 4.0]}
    body = {"signature_name": "serving_default", "inputs": [3.0, 4.0]}
    assert post(http, predict_url("half_plus_two"), body).json() == {"outputs": [3.5, 4.0]}


def test_rest_unknown_top_level_keys_ignored(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillPredictRequestFromJson (only
    # signature_name / instances / inputs are looked up)
    r = post(http, predict_url("half_plus_two"), {"instances": [2.0], "extra": {"x": 1}})
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [3.0]}


def test_rest_several_named_inputs_row(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc MultipleNamedTensor and
    # FromJsonMultipleNamedTensors (row output: list of {alias: value} objects)
    body = {"instances": [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}]}
    r = post(http, predict_url("multi"), body)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "predictions": [{"sum": 3.0, "product": 2.0}, {"sum": 7.0, "product": 12.0}]
    }


def test_rest_several_named_inputs_columnar(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc MultipleNamedTensorColumnarFormat
    # (columnar output: {alias: whole tensor})
    body = {"inputs": {"a": [1.0, 3.0], "b": [2.0, 4.0]}}
    r = post(http, predict_url("multi"), body)
    assert r.status_code == 200, r.text
    assert r.json() == {"outputs": {"sum": [3.0, 7.0], "product": [2.0, 12.0]}}


def test_rest_columnar_extra_input_keys_ignored(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillTensorMapFromInputsMap (looks up only
    # the signature's inputs; other keys are never read)
    body = {"inputs": {"a": [1.0], "b": [2.0], "c": [9.0]}}
    r = post(http, predict_url("multi"), body)
    assert r.status_code == 200, r.text
    assert r.json() == {"outputs": {"sum": [3.0], "product": [2.0]}}


def test_rest_columnar_scalar_output(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc FromJsonSingleScalarTensor
    # (columnar: a rank-0 output is written as a bare value)
    r = post(http, predict_url("multi"), {"signature_name": "scalar", "inputs": [1.0, 2.0, 3.0]})
    assert r.status_code == 200, r.text
    assert r.json() == {"outputs": 6.0}


def test_rest_row_scalar_output_is_an_error(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc MakeRowFormatJsonFromTensors
    # ("Tensor name: <n> has no shape information ", trailing space)
    r = post(http, predict_url("multi"), {"signature_name": "scalar", "instances": [1.0, 2.0]})
    assert_json_error(r, 400, "Tensor name: total has no shape information ")


def test_rest_row_outputs_with_different_batch_sizes(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc MakeRowFormatJsonFromTensors
    # ("Tensor name: <n> has inconsistent batch size: <a> expecting: <b>"; which output comes
    # first follows protobuf map order, so both orders are accepted)
    r = post(http, predict_url("multi"), {"signature_name": "uneven", "instances": [1.0, 2.0]})
    msg = assert_json_error(r, 400)
    assert msg in (
        "Tensor name: first has inconsistent batch size: 1 expecting: 2",
        "Tensor name: full has inconsistent batch size: 2 expecting: 1",
    ), msg
    # columnar format has no such constraint
    r = post(http, predict_url("multi"), {"signature_name": "uneven", "inputs": [1.0, 2.0]})
    assert r.json() == {"outputs": {"full": [1.0, 2.0], "first": [1.0]}}


def test_rest_int_output_written_as_integers(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc WriteTensorValue (integers unquoted, no ".0")
    r = post(http, predict_url("multi"), {"signature_name": "int_double", "instances": [1, -2, 3]})
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [2, -4, 6]}
    assert all(type(v) is int for v in r.json()["predictions"])
    assert "2.0" not in r.text


def test_rest_float_output_text_forms(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc WriteDecimal (6 significant digits, "%.9g"
    # when that does not round-trip, ".0" appended to integral values);
    # json_tensor_test.cc FromJsonSingleFloatTensorSixDigitPrecision
    r = post(http, predict_url("identity"), {"inputs": [3.0, 0.5, 9000000.0, 0.00003]})
    assert r.status_code == 200, r.text
    compact = "".join(r.text.split())
    assert '"outputs":[3.0,0.5,9e+06,3e-05]' in compact, r.text
    r = post(http, predict_url("identity"), {"inputs": [1 / 3]})
    assert "0.333333343" in r.text, r.text


def test_rest_float_precision_loss_accepted(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc FloatTensorWithPrecisionLoss
    # (an integer too large for float32 is accepted and rounded, no error)
    r = post(http, predict_url("identity"), {"instances": [1435774380]})
    assert r.status_code == 200, r.text
    assert np.float32(r.json()["predictions"][0]) == np.float32(1435774380)


def test_rest_float_overflow_and_underflow(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc FloatTensorThatExceedsMaxReturnsInf,
    # FloatTensorThatExceedsMinReturnsZero; output tokens: json_tensor.cc WriteDecimal
    # (NaN / Infinity / -Infinity)
    body = '{"instances": [1.7976931348623157e308, -1.7976931348623157e308, 2.2250738585072014e-308]}'
    r = post(http, predict_url("identity"), body)
    assert r.status_code == 200, r.text
    assert json.loads(r.text) == {"predictions": [math.inf, -math.inf, 0.0]}
    assert "Infinity" in r.text and "-Infinity" in r.text


def test_rest_nan_and_infinity_inputs(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc ParseJson (kParseNanAndInfFlag);
    # json_tensor_test.cc FromJsonSingleFloatTensorNonFinite
    r = post(http, predict_url("identity"), '{"signature_name": "double", "inputs": [NaN, Infinity, -Infinity]}')
    assert r.status_code == 200, r.text
    out = json.loads(r.text)["outputs"]
    assert math.isnan(out[0]) and out[1] == math.inf and out[2] == -math.inf
    compact = "".join(r.text.split())
    assert compact == '{"outputs":[NaN,Infinity,-Infinity]}', r.text


def test_rest_bool_values(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc AddValueToTensor (DT_BOOL: true/false) and
    # WriteTensorValue (bool as true/false)
    r = post(http, predict_url("identity"), {"signature_name": "bool", "inputs": [[True, False]]})
    assert r.status_code == 200, r.text
    assert r.json() == {"outputs": [[True, False]]}


def test_rest_string_input_and_outputs(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc (DT_STRING accepts JSON strings; string
    # outputs whose alias does not end in "_bytes" are written raw)
    r = post(http, predict_url("strings"), {"instances": ["ab", "xyz"]})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "predictions": [{"length": 2, "upper": "AB"}, {"length": 3, "upper": "XYZ"}]
    }


def test_rest_b64_input(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc SingleUnnamedTensorBase64Scalars,
    # SingleNamedTensorBase64; g3doc/api_rest.md "Encoding binary values"
    raw = b"\x00\xffhello"
    body = {"instances": [{"b64": base64.b64encode(raw).decode()}, "ab"]}
    r = post(http, predict_url("strings"), body)
    assert r.status_code == 200, r.text
    assert [p["length"] for p in r.json()["predictions"]] == [len(raw), 2]
    # columnar, a single b64 object as the whole input (rank 0 is not allowed by [None]; use a list)
    body = {"inputs": {"s": [{"b64": base64.b64encode(b"abc").decode()}]}}
    r = post(http, predict_url("strings"), body)
    assert r.json() == {"outputs": {"length": [3], "upper": ["ABC"]}}


def test_rest_bytes_alias_output_is_b64(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc (output alias ending in "_bytes" is written as
    # {"b64": ...}); g3doc/api_rest.md "Encoding binary values"
    raw = b"\x00\x01\xfe\xff"
    body = {"signature_name": "bytes", "instances": [{"b64": base64.b64encode(raw).decode()}]}
    r = post(http, predict_url("strings"), body)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [{"b64": base64.b64encode(raw).decode()}]}


def test_rest_bad_b64(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc ("Unable to base64 decode",
    # "... not formatted correctly for base64 data")
    r = post(http, predict_url("strings"), {"inputs": [{"b64": "!!!not base64!!!"}]})
    assert_json_error(r, 400, contains="Unable to base64 decode")
    r = post(http, predict_url("strings"), {"inputs": [{"b64": 5}]})
    assert_json_error(r, 400, contains="not formatted correctly for base64 data")


# ---------------------------------------------------------------------------------------------
# REST: errors
# ---------------------------------------------------------------------------------------------
def test_rest_wrong_dtype(http, predict_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler_test.cc PredictRequestErrors
    # ("not of expected type: float"); wording: util/json_tensor.cc TypeError, wrapped by
    # FillTensorMapFromInstancesList with status.ToString()
    r = post(http, predict_url("half_plus_two"), {"instances": ["x", "y"]})
    assert_json_error(
        r,
        400,
        "Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: "
        'JSON Value: "x" Type: String is not of expected type: float',
    )


def test_rest_float_for_int_input_rejected(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc AddValueToTensor (DT_INT32 needs an integer)
    r = post(http, predict_url("multi"), {"signature_name": "int_double", "inputs": [1.5]})
    assert_json_error(r, 400, "JSON Value: 1.5 Type: Number is not of expected type: int32")


def test_rest_ragged_sizes(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc SingleUnnamedTensorErrors
    # ("Expecting tensor size", "Expecting shape")
    url = predict_url("identity")
    r = post(http, url, {"signature_name": "int64", "instances": [[1, 2], [3, 4], [5, 6, 7]]})
    assert_json_error(
        r, 400,
        "Failed to process element: 2 of 'instances' list. Error: INVALID_ARGUMENT: "
        "Expecting tensor size: 2 but got: 3",
    )
    r = post(http, url, {"signature_name": "int64", "instances": [[1, 2], [3, 4], [[5, 6]]]})
    assert_json_error(
        r, 400,
        "Failed to process element: 2 of 'instances' list. Error: INVALID_ARGUMENT: "
        "Expecting shape [2] but got: [1,2]",
    )
    r = post(http, url, {"signature_name": "int64", "instances": [1, [1]]})
    assert_json_error(r, 400, contains="Expecting shape")


def test_rest_mixed_objects_and_lists(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc MultipleNamedTensorErrors
    body = {"instances": [{"a": 1.0, "b": 2.0}, [1.0, 2.0]]}
    r = post(http, predict_url("multi"), body)
    assert_json_error(r, 400, "Expecting object but got list at item 1 of input list")
    body = {"instances": [["x"], {"s": ["y"]}]}
    r = post(http, predict_url("strings"), body)
    assert_json_error(r, 400, "Expecting value/list but got object at item 1 of input list")


def test_rest_missing_named_input(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillTensorMapFromInputsMap
    # ("Missing named input: <name> in 'inputs' object.") and FillTensorMapFromInstancesList
    # ("keys must be equal to: a,b")
    r = post(http, predict_url("multi"), {"inputs": {"a": [1.0]}})
    assert_json_error(r, 400, "Missing named input: b in 'inputs' object.")
    r = post(http, predict_url("multi"), {"instances": [{"a": 1.0}]})
    assert_json_error(
        r, 400, "Failed to process element: 0 of 'instances' list. JSON object: "
        '{\n    "a": 1.0\n} keys must be equal to: a,b',
    )


def test_rest_plain_list_for_several_inputs(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillTensorMapFromInputsMap /
    # FillTensorMapFromInstancesList
    r = post(http, predict_url("multi"), {"inputs": [1.0, 2.0]})
    assert_json_error(
        r, 400,
        "inputs is a plain value/list, but expecting an object as multiple input tensors "
        "required as per tensorinfo_map",
    )
    r = post(http, predict_url("multi"), {"instances": [1.0, 2.0]})
    assert_json_error(r, 400, contains="instances is a plain list, but expecting list of objects")


def test_rest_batch_size_mismatch_between_named_inputs(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillTensorMapFromInputsMap (columnar inputs
    # may differ in dim 0; the model run fails in TF, INVALID_ARGUMENT -> 400 by
    # model_servers/http_server.cc ToHTTPStatusCode; the text comes from TF)
    r = post(http, predict_url("multi"), {"inputs": {"a": [1.0, 2.0], "b": [1.0, 2.0, 3.0]}})
    assert_json_error(r, 400, contains="Incompatible shapes")


def test_rest_unknown_signature(http, predict_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler.cc GetInfoMap
    r = post(http, predict_url("half_plus_two"), {"signature_name": "nope", "instances": [1.0]})
    assert_json_error(r, 400, 'Serving signature name: "nope" not found in signature def')


def test_rest_signature_name_not_a_string(http, predict_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler_test.cc PredictRequestErrors
    r = post(http, predict_url("half_plus_two"), {"signature_name": 100})
    assert_json_error(r, 400, contains="'signature_name' key must be a string value.")


def test_rest_missing_instances_and_inputs(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillPredictRequestFromJson
    r = post(http, predict_url("half_plus_two"), {"signature_name": "serving_default"})
    assert_json_error(r, 400, "Missing 'inputs' or 'instances' key")


def test_rest_both_instances_and_inputs(http, predict_url):
    # source: tensorflow_serving/util/json_tensor_test.cc SingleUnnamedTensorErrors
    # ("Not formatted correctly"); full text json_tensor.cc FillPredictRequestFromJson
    r = post(http, predict_url("half_plus_two"), {"instances": [1.0], "inputs": [1.0]})
    msg = assert_json_error(r, 400)
    assert msg.startswith("JSON Value: {")
    assert msg.endswith(
        "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist "
    )


def test_rest_empty_instances(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillPredictRequestFromJson
    # ("No values in 'instances' array", "Expecting 'instances' to be an list/array")
    r = post(http, predict_url("half_plus_two"), {"instances": []})
    assert_json_error(r, 400, contains="No values in 'instances' array")
    r = post(http, predict_url("half_plus_two"), {"instances": 5})
    assert_json_error(r, 400, contains="Expecting 'instances' to be an list/array")


def test_rest_unknown_model_wins_over_bad_body(http, predict_url):
    # source: tensorflow_serving/util/json_tensor.cc FillPredictRequestFromJson (parse, then
    # signature lookup for the model, then instances/inputs) and
    # model_servers/http_rest_api_handler_test.cc PredictModelNameVersionErrors
    r = post(http, predict_url("no_such_model"), {"signature_name": "serving_default"})
    assert_json_error(r, 404, "Servable not found for request: Latest(no_such_model)")
    r = post(http, predict_url("no_such_model"), b"{not json")
    assert_json_error(r, 400, contains="JSON Parse error")


# ---------------------------------------------------------------------------------------------
# gRPC
# ---------------------------------------------------------------------------------------------
def test_grpc_predict(prediction_stub):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py _TestPredict /
    # VerifyPredictRequest; response model_spec: servables/tensorflow/util.cc MakeModelSpec
    req = predict_request("half_plus_two", {"x": np.array([[2.0], [4.0]], np.float32)})
    resp = prediction_stub.Predict(req, timeout=30)
    np.testing.assert_array_equal(to_ndarray(resp.outputs["y"]), [[3.0], [4.0]])
    assert resp.model_spec.name == "half_plus_two"
    assert resp.model_spec.version.value == 123
    assert resp.model_spec.signature_name == "serving_default"
    assert list(resp.outputs) == ["y"]


def test_grpc_predict_flat_input(prediction_stub):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testPredictREST
    # (the same model accepts a [3] tensor for its (-1, 1) input: TF does not check fed shapes)
    req = predict_request("half_plus_two", {"x": np.array([2.0, 3.0, 4.0], np.float32)})
    resp = prediction_stub.Predict(req, timeout=30)
    np.testing.assert_array_equal(to_ndarray(resp.outputs["y"]), [3.0, 3.5, 4.0])


def test_grpc_named_inputs_and_outputs(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc PreProcessPrediction (all
    # signature outputs when output_filter is empty)
    req = predict_request("multi", {"a": np.array([1.0, 3.0], np.float32),
                                    "b": np.array([2.0, 4.0], np.float32)})
    resp = prediction_stub.Predict(req, timeout=30)
    assert set(resp.outputs) == {"sum", "product"}
    np.testing.assert_array_equal(to_ndarray(resp.outputs["sum"]), [3.0, 7.0])
    np.testing.assert_array_equal(to_ndarray(resp.outputs["product"]), [2.0, 12.0])


def test_grpc_output_filter(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc PreProcessPrediction
    inputs = {"a": np.array([1.0], np.float32), "b": np.array([2.0], np.float32)}
    resp = prediction_stub.Predict(predict_request("multi", inputs, output_filter=["product"]), timeout=30)
    assert list(resp.outputs) == ["product"]
    assert_rpc_error(
        prediction_stub.Predict, predict_request("multi", inputs, output_filter=["nope"]), INVALID,
        "output tensor alias not found in signature: nope Outputs expected to be in the set "
        "{product,sum}.",
    )
    assert_rpc_error(
        prediction_stub.Predict,
        predict_request("multi", inputs, output_filter=["sum", "sum"]), INVALID,
        "duplicate output tensor alias: sum",
    )


def test_grpc_signature_name(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc RunPredict
    req = predict_request("multi", {"x": np.array([1.0, 2.0], np.float32)}, signature="scalar")
    resp = prediction_stub.Predict(req, timeout=30)
    assert resp.model_spec.signature_name == "scalar"
    assert to_ndarray(resp.outputs["total"]).shape == ()
    assert float(to_ndarray(resp.outputs["total"])) == 3.0


def test_grpc_unknown_signature(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc RunPredict
    # (FAILED_PRECONDITION 'Serving signature key "<s>" not found.')
    req = predict_request("half_plus_two", {"x": np.array([1.0], np.float32)}, signature="nope")
    assert_rpc_error(prediction_stub.Predict, req, grpc.StatusCode.FAILED_PRECONDITION,
                     'Serving signature key "nope" not found.')


def test_grpc_missing_input(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc VerifyRequestInputsSize
    req = predict_request("multi", {"a": np.array([1.0], np.float32)})
    assert_rpc_error(
        prediction_stub.Predict, req, INVALID,
        "input size does not match signature: 1!=2 len({a}) != len({a,b}). "
        "Sent extra: {}. Missing but required: {b}.",
    )


def test_grpc_extra_input(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc VerifyRequestInputsSize
    req = predict_request("half_plus_two", {"x": np.array([1.0], np.float32),
                                            "z": np.array([1.0], np.float32)})
    assert_rpc_error(
        prediction_stub.Predict, req, INVALID,
        "input size does not match signature: 2!=1 len({x,z}) != len({x}). "
        "Sent extra: {z}. Missing but required: {}.",
    )


def test_grpc_wrong_input_name(prediction_stub):
    # source: TF tensorflow/cc/saved_model/util.cc GetInputValues (called by
    # tensorflow_serving/servables/tensorflow/predict_util.cc PreProcessPrediction); the text is
    # TF's, only the code and the alias are checked
    req = predict_request("half_plus_two", {"z": np.array([1.0], np.float32)})
    msg = assert_rpc_error(prediction_stub.Predict, req, INVALID)
    assert "x" in msg


def test_grpc_batch_size_mismatch(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc RunPredict (session->Run
    # error passed through; TF's "Incompatible shapes" is INVALID_ARGUMENT)
    req = predict_request("multi", {"a": np.array([1.0, 2.0], np.float32),
                                    "b": np.array([1.0, 2.0, 3.0], np.float32)})
    assert_rpc_error(prediction_stub.Predict, req, INVALID, contains="Incompatible shapes")


def test_grpc_wrong_dtype(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc RunPredict (TF rejects a
    # fed tensor of the wrong dtype with INVALID_ARGUMENT; text from TF)
    req = predict_request("half_plus_two", {"x": np.array([1], np.int32)})
    assert_rpc_error(prediction_stub.Predict, req, INVALID)


def test_grpc_missing_model_spec_and_name(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_impl.cc ("Missing ModelSpec"),
    # model_servers/server_core.cc ("ModelSpec has no name specified.")
    from tensorflow_serving.apis import predict_pb2

    assert_rpc_error(prediction_stub.Predict, predict_pb2.PredictRequest(), INVALID, "Missing ModelSpec")
    req = predict_pb2.PredictRequest()
    req.model_spec.signature_name = "serving_default"
    assert_rpc_error(prediction_stub.Predict, req, INVALID, "ModelSpec has no name specified.")


def test_grpc_string_input(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc (DT_STRING tensors pass
    # through as bytes)
    req = predict_request("strings", {"s": np.array([b"ab", b"\x00\xff"], object)})
    resp = prediction_stub.Predict(req, timeout=30)
    np.testing.assert_array_equal(to_ndarray(resp.outputs["length"]), [2, 2])
    assert list(to_ndarray(resp.outputs["upper"])) == [b"AB", b"\x00\xff"]


@pytest.mark.parametrize("value, dtype", [(np.array([2.0]), "double"), (np.array([2], np.int32), "int32")])
def test_grpc_wrong_input_dtype_is_sessions_text(prediction_stub, value, dtype):
    # source: TF core/framework/function.cc FunctionCallFrame::SetArgs, reached through
    # DirectSession::Run (predict_util.cc RunPredict; predict_util_test.cc asserts
    # "Expects arg[0] to be float but bool is provided")
    assert_rpc_error(prediction_stub.Predict, predict_request("half_plus_two", {"x": value}), INVALID,
                     f"Expects arg[0] to be float but {dtype} is provided")

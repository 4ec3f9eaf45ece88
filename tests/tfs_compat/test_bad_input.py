"""Hostile and broken input: every case gets TF Serving's error shape (never a Python
traceback), and the server keeps serving afterwards."""

from __future__ import annotations

import json
import os
import random

import grpc
import numpy as np
import pytest

from tests.tfs_compat.harness import assert_json_error, predict_request, to_ndarray

PREDICT = "/v1/models/half_plus_two:predict"


@pytest.fixture
def still_serving(http, rest_url, prediction_stub):
    """After the test: a good predict still succeeds over REST and gRPC."""
    yield
    r = http.post(rest_url + PREDICT, data='{"instances": [2.0]}', timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [3.0]}
    resp = prediction_stub.Predict(
        predict_request("half_plus_two", {"x": np.array([[2.0]], np.float32)}), timeout=30)
    np.testing.assert_array_equal(to_ndarray(resp.outputs["y"]), [[3.0]])


MALFORMED = [
    # (body, exact message or None, substring)
    # source: tensorflow_serving/model_servers/http_rest_api_handler_test.cc PredictRequestErrors
    (b"", "JSON Parse error: The document is empty", None),
    (b"instances = [1, 2]", "JSON Parse error: Invalid value. at offset: 0", None),
    # source: rapidjson error/en.h texts, util/json_tensor.cc ParseJson ("at offset: <n>")
    (b'{"instances": [1.0, 2.0', None, "JSON Parse error: "),
    (b'{"instances": [1.0, 2.0]', "JSON Parse error: Missing a comma or '}' after an object member. at offset: 24", None),
    (b'{"instances" [1.0]}', "JSON Parse error: Missing a colon after a name of object member. at offset: 13", None),
    (b"{'instances': [1.0]}", "JSON Parse error: Missing a name for object member. at offset: 1", None),
    (b'{"instances": [1.0,]}', "JSON Parse error: Invalid value. at offset: 19", None),
    (b"   ", "JSON Parse error: The document is empty. at offset: 3", None),
    (b"\xff\xfe\x00garbage", "JSON Parse error: Invalid value. at offset: 0", None),
    # source: util/json_tensor.cc FillPredictRequestFromJson ("Is not object")
    (b"[1, 2]", "JSON Value: [1, 2] Is not object", None),
    (b"5", "JSON Value: 5 Is not object", None),
    (b"null", "JSON Value: null Is not object", None),
    (b'"instances"', 'JSON Value: "instances" Is not object', None),
    # source: util/json_tensor.cc FillPredictRequestFromJson
    (b"{}", "Missing 'inputs' or 'instances' key", None),
]


@pytest.mark.parametrize("body,message,contains", MALFORMED, ids=[repr(m[0][:24]) for m in MALFORMED])
def test_malformed_json(http, rest_url, still_serving, body, message, contains):
    r = http.post(rest_url + PREDICT, data=body, timeout=30)
    assert_json_error(r, 400, message, contains=contains)


WRONG_TYPES = [
    # source: tensorflow_serving/util/json_tensor.cc TypeError / JsonTypeString
    ({"instances": [None]}, "Null", "float"),
    ({"instances": [True]}, "True", "float"),
    ({"instances": [{"x": 1.0, "y": 2.0}]}, None, None),
    ({"inputs": "abc"}, "String", "float"),
    ({"inputs": {"x": [[1.0], ["a"]]}}, "String", "float"),
]


@pytest.mark.parametrize("body,jtype,dtype", WRONG_TYPES)
def test_wrong_types(http, rest_url, still_serving, body, jtype, dtype):
    r = http.post(rest_url + PREDICT, data=json.dumps(body), timeout=30)
    msg = assert_json_error(r, 400)
    if jtype:
        assert f"Type: {jtype} is not of expected type: {dtype}" in msg


def test_deeply_nested_json(http, rest_url, still_serving):
    # source: tensorflow_serving/util/json_tensor_test.cc DeeplyNestedWellFormed and
    # DeeplyNestedMalformed (500000 levels; rapidjson kParseIterativeFlag, no recursion)
    body = '{"instances": [2.0], "nested": ' + "[" * 500000 + "]" * 500000 + "}"
    r = http.post(rest_url + PREDICT, data=body, timeout=60)
    assert r.status_code == 200, r.text[:300]
    assert r.json() == {"predictions": [3.0]}
    body = '{"signature_name": ' + "[" * 500000 + "]" * 500000 + "}"
    r = http.post(rest_url + PREDICT, data=body, timeout=60)
    assert_json_error(r, 400, contains="key must be a string value")
    body = '{"instances": [2.0], "nested": ' + "[" * 500000  # unterminated
    r = http.post(rest_url + PREDICT, data=body, timeout=60)
    assert_json_error(r, 400, contains="JSON Parse error")


def test_huge_body(http, rest_url, still_serving):
    # source: tensorflow_serving/util/net_http/server/internal/evhttp_request.cc (whole body read
    # into memory, no size limit) and util/json_tensor.cc (unknown top-level keys ignored): a 20 MB
    # request is read and answered
    body = '{"instances": [2.0], "padding": "' + "x" * 20_000_000 + '"}'
    r = http.post(rest_url + PREDICT, data=body, timeout=300)
    assert r.status_code == 200, r.text[:500]
    assert r.json() == {"predictions": [3.0]}
    # and 20 MB that is not JSON at all
    r = http.post(rest_url + PREDICT, data=b"\x01" * 20_000_000, timeout=300)
    assert_json_error(r, 400, "JSON Parse error: Invalid value. at offset: 0")


def test_huge_valid_body(http, rest_url, still_serving):
    # source: as test_huge_body; a large valid request is answered in full
    n = 300_000
    body = '{"inputs": [' + ",".join(["2.0"] * n) + "]}"
    r = http.post(rest_url + "/v1/models/identity:predict", data=body, timeout=120)
    assert r.status_code == 200, r.text[:200]
    assert len(r.json()["outputs"]) == n


def test_binary_garbage_bodies(http, rest_url, still_serving):
    # source: tensorflow_serving/util/json_tensor.cc ParseJson (rapidjson, iterative parser: a
    # first byte that starts no JSON value is tokenized as a number and fails as "Invalid
    # value." at offset 0). Every body starts with 0xFF, so no random tail can make it valid.
    rng = random.Random(1234)
    for size in (1, 7, 64, 1000, 65536):
        body = b"\xff" + bytes(rng.randrange(256) for _ in range(size - 1))
        r = http.post(rest_url + PREDICT, data=body, timeout=30)
        assert_json_error(r, 400, "JSON Parse error: Invalid value. at offset: 0")


def test_garbage_on_every_route(http, rest_url, still_serving):
    # source: tensorflow_serving/model_servers/http_rest_api_handler.cc ProcessRequest
    for verb in ("predict", "classify", "regress"):
        r = http.post(f"{rest_url}/v1/models/half_plus_two:{verb}", data=b"\x00\x01{", timeout=30)
        assert_json_error(r, 400, contains="JSON Parse error")
    r = http.get(f"{rest_url}/v1/models/half_plus_two/metadata", data=b"\x00\x01{", timeout=30)
    assert r.status_code == 200  # GET bodies are ignored


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD"])
def test_unknown_methods(http, rest_url, still_serving, method):
    # source: tensorflow_serving/model_servers/http_rest_api_handler.cc ProcessRequest
    # ("Malformed request: <METHOD> <path>"); HEAD gets the same status, without a body
    r = http.request(method, rest_url + PREDICT, data=b"{}", timeout=30)
    if method == "HEAD":
        assert r.status_code == 400
        assert r.text == ""
    else:
        assert_json_error(r, 400, f"Malformed request: {method} {PREDICT}")


def test_unknown_paths(http, rest_url, still_serving):
    # source: tensorflow_serving/model_servers/http_server.cc (non-/v1 -> libevent 404 HTML);
    # http_rest_api_handler.cc (unknown /v1 path -> "Malformed request")
    r = http.get(rest_url + "/v1/nothing/here", timeout=30)
    assert_json_error(r, 400, "Malformed request: GET /v1/nothing/here")
    # requests removes the dot segments (RFC 3986), so the server sees /etc/passwd: outside
    # the REST handler's path regex "(?i)/v1/.*" (model_servers/http_rest_api_util.h), no
    # handler takes it and libevent answers 404 (util/net_http/server/internal/evhttp_server.cc
    # evhttp_send_error(req, HTTP_NOTFOUND, nullptr)).
    r = http.get(rest_url + "/../../etc/passwd", timeout=30)
    assert r.request.path_url == "/etc/passwd"
    assert r.status_code == 404
    assert "Traceback" not in r.text and "root:" not in r.text


def test_non_json_numbers(http, rest_url, still_serving):
    # source: tensorflow_serving issues #989/#1014 (e.g. "9e-07.0" rejected as a parse error);
    # util/json_tensor.cc ParseJson
    r = http.post(rest_url + PREDICT, data='{"instances": [9e-07.0]}', timeout=30)
    assert_json_error(r, 400, contains="JSON Parse error")
    r = http.post(rest_url + PREDICT, data='{"instances": [0x10]}', timeout=30)
    assert_json_error(r, 400, contains="JSON Parse error")
    r = http.post(rest_url + PREDICT, data='{"instances": [Nan]}', timeout=30)  # PR #4071: only NaN
    assert_json_error(r, 400, contains="JSON Parse error")


def test_huge_integer_for_int_input(http, rest_url, still_serving):
    # source: tensorflow_serving/util/json_tensor.cc AddValueToTensor (DT_INT32 needs a value that
    # fits int32 / DT_INT64 one that fits int64)
    r = http.post(rest_url + "/v1/models/multi:predict",
                  data='{"signature_name": "int_double", "inputs": [99999999999]}', timeout=30)
    assert_json_error(r, 400, contains="is not of expected type: int32")
    r = http.post(rest_url + "/v1/models/identity:predict",
                  data='{"signature_name": "int64", "inputs": [99999999999999999999999]}', timeout=30)
    assert_json_error(r, 400, contains="is not of expected type: int64")


# ---------------------------------------------------------------------------------------------
# gRPC: bytes that are not the expected proto
# ---------------------------------------------------------------------------------------------
def _raw_call(channel, method: str, payload: bytes):
    call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
    return call(payload, timeout=30)


@pytest.mark.parametrize(
    "method",
    [
        "/tensorflow.serving.PredictionService/Predict",
        "/tensorflow.serving.PredictionService/Classify",
        "/tensorflow.serving.PredictionService/GetModelMetadata",
        "/tensorflow.serving.ModelService/GetModelStatus",
    ],
)
def test_grpc_garbage_proto(grpc_channel, still_serving, method):
    # source: gRPC C++ server (tensorflow_serving/model_servers/server.cc builds a
    # grpc::ServerBuilder): a payload that fails to parse is rejected with INTERNAL ("Failed to
    # parse ..." / deserialization error); the server keeps running
    payloads = [b"\xff" * 16, b"\x0a\xff\xff\xff\xff\x0f", os.urandom(0) + b"\x08"]
    for payload in payloads:
        with pytest.raises(grpc.RpcError) as ei:
            _raw_call(grpc_channel, method, payload)
        assert ei.value.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.INVALID_ARGUMENT), ei.value
        assert "Traceback" not in (ei.value.details() or "")


def test_grpc_empty_payload_is_empty_request(grpc_channel, still_serving):
    # source: tensorflow_serving/servables/tensorflow/predict_impl.cc (an empty message parses as
    # an empty PredictRequest -> "Missing ModelSpec")
    with pytest.raises(grpc.RpcError) as ei:
        _raw_call(grpc_channel, "/tensorflow.serving.PredictionService/Predict", b"")
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert ei.value.details() == "Missing ModelSpec"


def test_grpc_unknown_method(grpc_channel, still_serving):
    # source: gRPC core (unregistered method -> UNIMPLEMENTED); SessionService is not registered
    # (tensorflow_serving/model_servers/server.cc)
    for method in ("/tensorflow.serving.PredictionService/Nope",
                   "/tensorflow.serving.SessionService/SessionRun"):
        with pytest.raises(grpc.RpcError) as ei:
            _raw_call(grpc_channel, method, b"")
        assert ei.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_grpc_bad_tensor_proto(prediction_stub, still_serving):
    # source: tensorflow_serving/servables/tensorflow/predict_util.cc PreProcessPrediction ->
    # TF saved_model/util.cc GetInputValues ("tensor parsing error: <alias>", INVALID_ARGUMENT):
    # a tensor_content whose size does not match its shape
    from tensorflow.core.framework import tensor_pb2, types_pb2

    req = predict_request("half_plus_two", {})
    bad = tensor_pb2.TensorProto(dtype=types_pb2.DT_FLOAT, tensor_content=b"\x00\x00\x80")
    bad.tensor_shape.dim.add(size=4)
    req.inputs["x"].CopyFrom(bad)
    with pytest.raises(grpc.RpcError) as ei:
        prediction_stub.Predict(req, timeout=30)
    assert ei.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Traceback" not in ei.value.details()

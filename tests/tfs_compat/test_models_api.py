"""Version / label / latest routing, model status and metadata, over REST and gRPC.

``versioned`` has versions 1 (y = 0.5x + 2) and 2 (y = 0.5x + 3) with policy ``all`` and labels
stable -> 1, canary -> 2 (tests/tfs_compat/models.py build_repository).
"""

from __future__ import annotations

import json

import grpc
import numpy as np
import pytest

from tests.tfs_compat.harness import assert_json_error, assert_rpc_error, predict_request, to_ndarray

NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID = grpc.StatusCode.INVALID_ARGUMENT

# (route suffix, ModelSpec kwargs, expected y for x = 2.0, served version)
ROUTES = [
    ("", {}, 4.0, 2),  # latest = highest AVAILABLE version
    ("/versions/1", {"version": 1}, 3.0, 1),
    ("/versions/2", {"version": 2}, 4.0, 2),
    ("/labels/stable", {"label": "stable"}, 3.0, 1),
    ("/labels/canary", {"label": "canary"}, 4.0, 2),
]


@pytest.mark.parametrize("suffix,spec,expected,version", ROUTES, ids=[r[0] or "latest" for r in ROUTES])
def test_rest_routing(http, rest_url, suffix, spec, expected, version):
    # source: tensorflow_serving/model_servers/http_rest_api_util.cc (URL forms
    # /versions/N, /labels/L), model_servers/server_core.cc GetServableHandle (latest = highest
    # available; labels from the config's version_labels), g3doc/api_rest.md "Predict API"
    r = http.post(f"{rest_url}/v1/models/versioned{suffix}:predict",
                  data=json.dumps({"instances": [[2.0]]}), timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [[expected]]}


@pytest.mark.parametrize("suffix,spec,expected,version", ROUTES, ids=[r[0] or "latest" for r in ROUTES])
def test_grpc_routing(prediction_stub, suffix, spec, expected, version):
    # source: tensorflow_serving/model_servers/server_core.cc GetServableHandle;
    # servables/tensorflow/util.cc MakeModelSpec (response carries the served version)
    req = predict_request("versioned", {"x": np.array([[2.0]], np.float32)}, **spec)
    resp = prediction_stub.Predict(req, timeout=30)
    np.testing.assert_array_equal(to_ndarray(resp.outputs["y"]), [[expected]])
    assert resp.model_spec.version.value == version
    assert resp.model_spec.name == "versioned"


def test_rest_routing_is_case_insensitive(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_util.cc (regexes are "(?i)")
    r = http.post(f"{rest_url}/V1/MODELS/versioned/VERSIONS/1:predict",
                  data=json.dumps({"instances": [[2.0]]}), timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": [[3.0]]}


def test_unknown_model(http, rest_url, prediction_stub):
    # source: tensorflow_serving/core/basic_manager.cc ("Servable not found for request: "),
    # model_servers/http_rest_api_handler_test.cc PredictModelNameVersionErrors (NOT_FOUND),
    # g3doc/api_rest.md ('{ "error": "Servable not found for request: Latest(half)" }')
    r = http.post(f"{rest_url}/v1/models/nosuch:predict", data='{"instances": [1.0]}', timeout=30)
    assert_json_error(r, 404, "Servable not found for request: Latest(nosuch)")
    req = predict_request("nosuch", {"x": np.array([1.0], np.float32)})
    assert_rpc_error(prediction_stub.Predict, req, NOT_FOUND, "Servable not found for request: Latest(nosuch)")


def test_unknown_version(http, rest_url, prediction_stub):
    # source: tensorflow_serving/core/basic_manager.cc, core/servable_id.h / servable_data
    # ("Specific(name, version)")
    r = http.post(f"{rest_url}/v1/models/versioned/versions/7:predict",
                  data='{"instances": [1.0]}', timeout=30)
    assert_json_error(r, 404, "Servable not found for request: Specific(versioned, 7)")
    req = predict_request("versioned", {"x": np.array([1.0], np.float32)}, version=7)
    assert_rpc_error(prediction_stub.Predict, req, NOT_FOUND,
                     "Servable not found for request: Specific(versioned, 7)")


def test_unknown_label(http, rest_url, prediction_stub):
    # source: tensorflow_serving/model_servers/server_core.cc GetModelVersionForLabel
    # ("Unrecognized servable version label: "), http_rest_api_handler_test.cc PredictRequestErrors
    r = http.post(f"{rest_url}/v1/models/versioned/labels/nope:predict",
                  data='{"instances": [1.0]}', timeout=30)
    assert_json_error(r, 400, "Unrecognized servable version label: nope")
    req = predict_request("versioned", {"x": np.array([1.0], np.float32)}, label="nope")
    assert_rpc_error(prediction_stub.Predict, req, INVALID, "Unrecognized servable version label: nope")


# ---------------------------------------------------------------------------------------------
# Model status
# ---------------------------------------------------------------------------------------------
def _status(version):
    return {"version": str(version), "state": "AVAILABLE",
            "status": {"error_code": "OK", "error_message": ""}}


def test_rest_status(http, rest_url):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testGetStatusREST
    r = http.get(f"{rest_url}/v1/models/half_plus_two", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"model_version_status": [_status(123)]}


def test_rest_status_versions_highest_first(http, rest_url):
    # source: tensorflow_serving/model_servers/get_model_status_impl.cc (iterates the
    # ServableStateMonitor VersionMap, ordered std::greater: core/servable_state_monitor.h)
    r = http.get(f"{rest_url}/v1/models/versioned", timeout=30)
    assert r.json() == {"model_version_status": [_status(2), _status(1)]}


def test_rest_status_of_one_version(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler_test.cc GetStatus
    r = http.get(f"{rest_url}/v1/models/versioned/versions/1", timeout=30)
    assert r.json() == {"model_version_status": [_status(1)]}


def test_rest_status_ignores_labels(http, rest_url):
    # source: tensorflow_serving/model_servers/get_model_status_impl.cc (only has_version() is
    # checked, a label -- even an unknown one -- gives every version)
    for label in ("stable", "no_such_label"):
        r = http.get(f"{rest_url}/v1/models/versioned/labels/{label}", timeout=30)
        assert r.status_code == 200, r.text
        assert r.json() == {"model_version_status": [_status(2), _status(1)]}


def test_rest_status_errors(http, rest_url):
    # source: tensorflow_serving/model_servers/get_model_status_impl.cc
    r = http.get(f"{rest_url}/v1/models/nosuch", timeout=30)
    assert_json_error(r, 404, "Could not find any versions of model nosuch")
    r = http.get(f"{rest_url}/v1/models/versioned/versions/9", timeout=30)
    assert_json_error(r, 404, "Could not find version 9 of model versioned")


def test_grpc_status(model_stub):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testGetModelStatus;
    # get_model_status_impl.cc (highest version first)
    from tensorflow_serving.apis import get_model_status_pb2

    req = get_model_status_pb2.GetModelStatusRequest()
    req.model_spec.name = "versioned"
    resp = model_stub.GetModelStatus(req, timeout=30)
    assert [v.version for v in resp.model_version_status] == [2, 1]
    for v in resp.model_version_status:
        assert v.state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
        assert v.status.error_code == 0
        assert v.status.error_message == ""
    req.model_spec.version.value = 1
    resp = model_stub.GetModelStatus(req, timeout=30)
    assert [v.version for v in resp.model_version_status] == [1]


def test_grpc_status_errors(model_stub):
    # source: tensorflow_serving/model_servers/get_model_status_impl.cc
    from tensorflow_serving.apis import get_model_status_pb2

    assert_rpc_error(model_stub.GetModelStatus, get_model_status_pb2.GetModelStatusRequest(),
                     INVALID, "Missing ModelSpec")
    req = get_model_status_pb2.GetModelStatusRequest()
    req.model_spec.name = "nosuch"
    assert_rpc_error(model_stub.GetModelStatus, req, NOT_FOUND, "Could not find any versions of model nosuch")
    req.model_spec.name = "versioned"
    req.model_spec.version.value = 9
    assert_rpc_error(model_stub.GetModelStatus, req, NOT_FOUND, "Could not find version 9 of model versioned")


# ---------------------------------------------------------------------------------------------
# Metadata
# ---------------------------------------------------------------------------------------------
def _tensor_info(name, dtype, dims):
    if dims is None:
        shape = {"dim": [], "unknown_rank": True}
    else:
        shape = {"dim": [{"size": str(d), "name": ""} for d in dims], "unknown_rank": False}
    return {"dtype": dtype, "tensor_shape": shape, "name": name}


def test_rest_metadata(http, rest_url):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py
    # testGetModelMetadataREST and the shape of servables/tensorflow/testdata/
    # saved_model_half_plus_two_2_versions_metadata.json (doubled "signature_def" key, sizes as
    # strings, "defaults": {}); body built by model_servers/http_rest_api_handler.cc
    # ProcessModelMetadataRequest
    r = http.get(f"{rest_url}/v1/models/half_plus_two/metadata", timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    doc = r.json()
    assert set(doc) == {"model_spec", "metadata"}
    assert doc["model_spec"] == {"name": "half_plus_two", "signature_name": "", "version": "123"}
    sigs = doc["metadata"]["signature_def"]["signature_def"]
    assert set(doc["metadata"]) == {"signature_def"}
    assert set(sigs) == {"serving_default", "classify_x_to_y", "regress_x_to_y", "regress_x_to_y2"}
    assert sigs["serving_default"] == {
        "inputs": {"x": _tensor_info("x:0", "DT_FLOAT", [-1, 1])},
        "outputs": {"y": _tensor_info("y:0", "DT_FLOAT", [-1, 1])},
        "method_name": "tensorflow/serving/predict",
        "defaults": {},
    }
    assert sigs["classify_x_to_y"]["method_name"] == "tensorflow/serving/classify"
    assert sigs["classify_x_to_y"]["inputs"] == {"inputs": _tensor_info("tf_example:0", "DT_STRING", [-1])}
    assert sigs["classify_x_to_y"]["outputs"] == {"scores": _tensor_info("y:0", "DT_FLOAT", [-1, 1])}
    assert sigs["regress_x_to_y"]["method_name"] == "tensorflow/serving/regress"


def test_rest_metadata_unknown_rank(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_util.cc (protobuf JSON with
    # always_print_fields_with_no_presence: unknown rank prints "dim": [] and true)
    r = http.get(f"{rest_url}/v1/models/identity/metadata", timeout=30)
    sig = r.json()["metadata"]["signature_def"]["signature_def"]["int64"]
    assert sig["inputs"]["x"]["tensor_shape"] == {"dim": [], "unknown_rank": True}
    assert sig["inputs"]["x"]["dtype"] == "DT_INT64"


def test_rest_metadata_routing_and_errors(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler.cc
    # ProcessModelMetadataRequest (resolves the servable like inference)
    for suffix, version in (("", "2"), ("/versions/1", "1"), ("/labels/stable", "1")):
        r = http.get(f"{rest_url}/v1/models/versioned{suffix}/metadata", timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["model_spec"]["version"] == version
    r = http.get(f"{rest_url}/v1/models/nosuch/metadata", timeout=30)
    assert_json_error(r, 404, "Servable not found for request: Latest(nosuch)")
    r = http.get(f"{rest_url}/v1/models/versioned/versions/9/metadata", timeout=30)
    assert_json_error(r, 404, "Servable not found for request: Specific(versioned, 9)")
    r = http.get(f"{rest_url}/v1/models/versioned/labels/nope/metadata", timeout=30)
    assert_json_error(r, 400, "Unrecognized servable version label: nope")


def test_grpc_metadata(prediction_stub):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testGetModelMetadata;
    # servables/tensorflow/get_model_metadata_impl.cc
    from tensorflow_serving.apis import get_model_metadata_pb2

    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = "half_plus_two"
    req.metadata_field.append("signature_def")
    resp = prediction_stub.GetModelMetadata(req, timeout=30)
    assert resp.model_spec.name == "half_plus_two"
    assert resp.model_spec.version.value == 123
    assert list(resp.metadata) == ["signature_def"]
    sig_map = get_model_metadata_pb2.SignatureDefMap()
    resp.metadata["signature_def"].Unpack(sig_map)
    sd = sig_map.signature_def["serving_default"]
    assert sd.method_name == "tensorflow/serving/predict"
    assert sd.inputs["x"].name == "x:0"
    assert [d.size for d in sd.inputs["x"].tensor_shape.dim] == [-1, 1]
    assert set(sig_map.signature_def) == {
        "serving_default", "classify_x_to_y", "regress_x_to_y", "regress_x_to_y2"}


def test_grpc_metadata_errors(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/get_model_metadata_impl.cc
    from tensorflow_serving.apis import get_model_metadata_pb2

    req = get_model_metadata_pb2.GetModelMetadataRequest()
    req.model_spec.name = "half_plus_two"
    assert_rpc_error(prediction_stub.GetModelMetadata, req, INVALID,
                     "GetModelMetadataRequest must specify at least one metadata_field")
    req.metadata_field.append("nope")
    assert_rpc_error(prediction_stub.GetModelMetadata, req, INVALID,
                     "Metadata field nope is not supported")

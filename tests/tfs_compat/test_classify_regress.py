"""Classify, Regress (REST and gRPC) and MultiInference (gRPC) on half_plus_two.

half_plus_two's ``classify_x_to_y`` / ``regress_x_to_y`` read the tf.Example float feature "x"
(tests/tfs_compat/models.py, reproducing TF Serving's test model).
"""

from __future__ import annotations

import json

import grpc
import pytest

from tests.tfs_compat.harness import assert_json_error, assert_rpc_error, example_input

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def post(http, url, body):
    return http.post(url, data=body if isinstance(body, str) else json.dumps(body), timeout=30)


@pytest.fixture(scope="module")
def url(rest_url):
    return lambda verb, model="half_plus_two": f"{rest_url}/v1/models/{model}:{verb}"


# ---------------------------------------------------------------------------------------------
# REST
# ---------------------------------------------------------------------------------------------
def test_rest_classify(http, url):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testClassifyREST
    r = post(http, url("classify"), {"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]})
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"results": [[["", 3.0]]]}


def test_rest_regress(http, url):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testRegressREST
    # (key is "results" although g3doc/api_rest.md says "result": util/json_tensor.cc)
    r = post(http, url("regress"), {"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"results": [3.0]}


def test_rest_regress_several_examples_and_lists(http, url):
    # source: tensorflow_serving/model_servers/http_rest_api_handler_test.cc Regress;
    # util/json_tensor.cc MakeExampleFromJsonObject (a list value is the feature's value list)
    body = {"signature_name": "regress_x_to_y2", "examples": [{"x": 80.0}, {"x": [10.0]}]}
    r = post(http, url("regress"), body)
    assert r.json() == {"results": [43.0, 8.0]}


def test_rest_context_is_overridden_by_example(http, url):
    # source: tensorflow_serving/util/json_tensor.cc FillClassifyRegressRequestFromJson
    # ("context" -> ExampleListWithContext); servables/tensorflow/util.cc InputToSerializedExampleTensor
    # (serialized context + example: the example's feature wins)
    body = {"signature_name": "regress_x_to_y", "context": {"x": 10.0},
            "examples": [{"x": 2.0}, {"other": "a"}]}
    r = post(http, url("regress"), body)
    assert r.status_code == 200, r.text
    assert r.json() == {"results": [3.0, 7.0]}


def test_rest_classify_regress_routing(http, rest_url):
    # source: tensorflow_serving/model_servers/http_rest_api_util.cc (versions/labels apply to
    # :classify and :regress too)
    body = json.dumps({"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]})
    for suffix, want in (("", 4.0), ("/versions/1", 3.0), ("/labels/canary", 4.0)):
        r = http.post(f"{rest_url}/v1/models/versioned{suffix}:regress", data=body, timeout=30)
        assert r.json() == {"results": [want]}, (suffix, r.text)
    body = json.dumps({"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]})
    r = http.post(f"{rest_url}/v1/models/versioned/labels/stable:classify", data=body, timeout=30)
    assert r.json() == {"results": [[["", 3.0]]]}


def test_rest_missing_examples(http, url):
    # source: tensorflow_serving/util/json_tensor.cc FillClassifyRegressRequestFromJson (the
    # wording says "classify" for regress too)
    r = post(http, url("regress"), '{"signature_name": "regress_x_to_y"}')
    assert_json_error(
        r, 400,
        'JSON Value: {\n    "signature_name": "regress_x_to_y"\n} When method is classify, '
        "key 'examples' is expected and was not found",
    )
    r = post(http, url("classify"), {"examples": []})
    assert_json_error(r, 400, contains="'examples' value is an empty array")
    r = post(http, url("classify"), {"examples": {"x": 1.0}})
    assert_json_error(r, 400, contains="Expecting 'examples' value to be an list/array")


def test_rest_bad_examples(http, url):
    # source: tensorflow_serving/util/json_tensor.cc MakeExampleFromJsonObject, AddValueToFeature
    r = post(http, url("regress"), {"signature_name": "regress_x_to_y", "examples": [5]})
    assert_json_error(r, 400, "Example must be JSON object but got JSON Number")
    r = post(http, url("regress"), {"signature_name": "regress_x_to_y", "examples": [{"x": None}]})
    assert_json_error(r, 400, "Feature: x has element with unexpected JSON type: Null")
    r = post(http, url("regress"), {"signature_name": "regress_x_to_y", "examples": [{"x": [1.5, "a"]}]})
    assert_json_error(r, 400, "Unexpected element type in feature: x expecting type: float")


def test_rest_unknown_signature(http, url):
    # source: tensorflow_serving/servables/tensorflow/regressor.cc / classifier.cc
    # ("No signature was found with the name: ")
    r = post(http, url("regress"), {"signature_name": "nope", "examples": [{"x": 1.0}]})
    assert_json_error(r, 400, "No signature was found with the name: nope")
    r = post(http, url("classify"), {"signature_name": "nope", "examples": [{"x": 1.0}]})
    assert_json_error(r, 400, "No signature was found with the name: nope")


def test_rest_default_signature_is_not_a_regression(http, url):
    # source: tensorflow_serving/servables/tensorflow/regressor.cc PreProcessRegression (the
    # default "serving_default" predict signature has no "inputs" key); g3doc/api_rest.md says the
    # default signature is used when signature_name is omitted
    r = post(http, url("regress"), {"examples": [{"x": 1.0}]})
    assert_json_error(r, 400, contains="No regression inputs found in SignatureDef: ")
    r = post(http, url("classify"), {"examples": [{"x": 1.0}]})
    assert_json_error(r, 400, contains="No classification inputs found in SignatureDef: ")


# ---------------------------------------------------------------------------------------------
# gRPC
# ---------------------------------------------------------------------------------------------
def test_grpc_classify(prediction_stub):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py _TestClassify
    from tensorflow_serving.apis import classification_pb2

    req = classification_pb2.ClassificationRequest()
    req.model_spec.name = "half_plus_two"
    req.model_spec.signature_name = "classify_x_to_y"
    example_input(req.input, [{"x": 2.0}, {"x": 4.0}])
    resp = prediction_stub.Classify(req, timeout=30)
    assert len(resp.result.classifications) == 2
    assert [c.classes[0].score for c in resp.result.classifications] == [3.0, 4.0]
    assert all(c.classes[0].label == "" for c in resp.result.classifications)
    assert resp.model_spec.name == "half_plus_two"
    assert resp.model_spec.signature_name == "classify_x_to_y"
    assert resp.model_spec.version.value == 123


def test_grpc_regress(prediction_stub):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py _TestRegress
    from tensorflow_serving.apis import regression_pb2

    req = regression_pb2.RegressionRequest()
    req.model_spec.name = "half_plus_two"
    req.model_spec.signature_name = "regress_x_to_y"
    example_input(req.input, [{"x": 2.0}])
    resp = prediction_stub.Regress(req, timeout=30)
    assert [r.value for r in resp.result.regressions] == [3.0]
    assert resp.model_spec.signature_name == "regress_x_to_y"
    assert resp.model_spec.version.value == 123


def test_grpc_regress_with_context(prediction_stub):
    # source: tensorflow_serving/apis/input.proto ExampleListWithContext;
    # servables/tensorflow/util.cc InputToSerializedExampleTensor
    from tensorflow_serving.apis import regression_pb2

    req = regression_pb2.RegressionRequest()
    req.model_spec.name = "half_plus_two"
    req.model_spec.signature_name = "regress_x_to_y"
    example_input(req.input, [{"x": 2.0}, {}], context={"x": 10.0})
    resp = prediction_stub.Regress(req, timeout=30)
    assert [r.value for r in resp.result.regressions] == [3.0, 7.0]


def test_grpc_classify_regress_errors(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/util.cc ("Input is empty."),
    # classifier.cc / regressor.cc ("No signature was found with the name: ")
    from tensorflow_serving.apis import classification_pb2, regression_pb2

    req = regression_pb2.RegressionRequest()
    req.model_spec.name = "half_plus_two"
    req.model_spec.signature_name = "regress_x_to_y"
    assert_rpc_error(prediction_stub.Regress, req, INVALID, "Input is empty.")
    req.model_spec.signature_name = "nope"
    example_input(req.input, [{"x": 2.0}])
    assert_rpc_error(prediction_stub.Regress, req, INVALID, "No signature was found with the name: nope")
    creq = classification_pb2.ClassificationRequest()
    creq.model_spec.name = "half_plus_two"
    creq.model_spec.signature_name = "nope"
    example_input(creq.input, [{"x": 2.0}])
    assert_rpc_error(prediction_stub.Classify, creq, INVALID, "No signature was found with the name: nope")
    creq.model_spec.name = "nosuch"
    assert_rpc_error(prediction_stub.Classify, creq, grpc.StatusCode.NOT_FOUND,
                     "Servable not found for request: Latest(nosuch)")


def _multi_request(tasks, model="half_plus_two"):
    from tensorflow_serving.apis import inference_pb2

    req = inference_pb2.MultiInferenceRequest()
    for name, signature, method in tasks:
        task = req.tasks.add()
        task.model_spec.name = name
        task.model_spec.signature_name = signature
        task.method_name = method
    example_input(req.input, [{"x": 2.0}])
    return req


def test_grpc_multi_inference(prediction_stub):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py _TestMultiInference
    req = _multi_request([
        ("half_plus_two", "regress_x_to_y", "tensorflow/serving/regress"),
        ("half_plus_two", "classify_x_to_y", "tensorflow/serving/classify"),
    ])
    resp = prediction_stub.MultiInference(req, timeout=30)
    assert len(resp.results) == 2
    assert resp.results[0].regression_result.regressions[0].value == 3.0
    assert resp.results[1].classification_result.classifications[0].classes[0].score == 3.0
    for i, sig in enumerate(("regress_x_to_y", "classify_x_to_y")):
        assert resp.results[i].model_spec.name == "half_plus_two"
        assert resp.results[i].model_spec.signature_name == sig
        assert resp.results[i].model_spec.version.value == 123


def test_grpc_multi_inference_errors(prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/multi_inference.cc
    reg = "tensorflow/serving/regress"
    req = _multi_request([("half_plus_two", "regress_x_to_y", reg), ("versioned", "regress_x_to_y2", reg)])
    assert_rpc_error(prediction_stub.MultiInference, req, INVALID,
                     "All ModelSpecs in a MultiInferenceRequest must access the same model name.")
    req = _multi_request([("half_plus_two", "regress_x_to_y", reg), ("half_plus_two", "regress_x_to_y", reg)])
    assert_rpc_error(prediction_stub.MultiInference, req, INVALID,
                     "Duplicate evaluation of signature: regress_x_to_y")
    req = _multi_request([("half_plus_two", "serving_default", "tensorflow/serving/predict")])
    assert_rpc_error(prediction_stub.MultiInference, req, grpc.StatusCode.UNIMPLEMENTED,
                     "Unsupported signature method_name: tensorflow/serving/predict")
    req = _multi_request([("half_plus_two", "nope", reg)])
    assert_rpc_error(prediction_stub.MultiInference, req, INVALID,
                     "Requested signature not found in model graph: nope")


def test_grpc_multi_inference_tasks_with_different_input_tensors(module_servers, tmp_path_factory,
                                                                 prediction_stub_for):
    # source: tensorflow_serving/servables/tensorflow/multi_inference.cc (since 2.4.0, commit
    # abb8d3b516a3 removed "Input tensor must be the same for all Signatures."): the input names go
    # into a set and the same serialized examples feed every one of them;
    # multi_inference_test.cc MultipleValidRegressSignaturesTest (regressions 3.0 and 4.0)
    from tests.tfs_compat import models

    base = tmp_path_factory.mktemp("two-inputs") / "two_inputs"
    models.write_regress_two_inputs(base, 1)
    srv = module_servers.start(["--model_name=two_inputs", f"--model_base_path={base}"],
                               models=["two_inputs"], name="two-inputs")
    reg = "tensorflow/serving/regress"
    req = _multi_request([("two_inputs", "regress_x_to_y", reg), ("two_inputs", "regress_x_to_y2", reg)],
                         model="two_inputs")
    resp = prediction_stub_for(srv).MultiInference(req, timeout=30)
    assert [r.regression_result.regressions[0].value for r in resp.results] == [3.0, 4.0]
    assert [r.model_spec.signature_name for r in resp.results] == ["regress_x_to_y", "regress_x_to_y2"]

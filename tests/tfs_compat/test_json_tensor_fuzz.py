"""Property-based tests of the JSON <-> tensor conversion (TF Serving util/json_tensor.cc).

Two layers:
- in-process, against the server's conversion module ``tfs_compat.json_tensor``
  (``fill_predict_request(body, request, get_tensorinfo_map) -> "row" | "columnar"`` and
  ``make_json_from_tensors({alias: (dtype_enum, ndarray)}, fmt) -> str``);
- over REST, against the ``identity`` model of the shared server (so it also runs against a
  real TF Serving).
Deterministic (``derandomize=True``) and bounded.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SETTINGS = settings(derandomize=True, max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
REST_SETTINGS = settings(derandomize=True, max_examples=40, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
finite_f32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
f32_arrays = hnp.arrays(np.float32, shapes, elements=finite_f32)
i64_arrays = hnp.arrays(np.int64, shapes, elements=st.integers(-(2**63), 2**63 - 1))

json_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["instances", "inputs", "signature_name", "x", "b64", "a", "b"]) | st.text(max_size=4),
        inner, max_size=4),
    max_leaves=12,
)


def expected_float_token(v: np.float32) -> str:
    """TF Serving's WriteDecimal for float32 (util/json_tensor.cc): absl::StrCat (6 significant
    digits, printf "%g"), "%.9g" if that does not round-trip, ".0" if neither "." nor "e"."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "-Infinity" if v < 0 else "Infinity"
    s = "%g" % float(v)
    if np.float32(float(s)) != v:
        s = "%.9g" % float(v)
    if "." not in s and "e" not in s:
        s += ".0"
    return s


# ---------------------------------------------------------------------------------------------
# In-process
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def jt():
    # An in-repo module: failing to import it is a failure, never a skip.
    from tfs_compat import json_tensor  # noqa: PLC0415

    return json_tensor


def _infos(dtype_enum, name="x"):
    from tensorflow.core.protobuf import meta_graph_pb2

    info = meta_graph_pb2.TensorInfo(dtype=dtype_enum, name=name + ":0")
    return lambda signature_name: {name: info}


def _fill(jt, body, dtype_enum):
    from tensorflow_serving.apis import predict_pb2

    req = predict_pb2.PredictRequest()
    fmt = jt.fill_predict_request(body, req, _infos(dtype_enum))
    return fmt, req


@SETTINGS
@given(arr=f32_arrays, row=st.booleans())
def test_float_round_trip_in_process(jt, arr, row):
    # source: tensorflow_serving/util/json_tensor_test.cc SingleUnnamedTensor,
    # SingleUnnamedTensorColumnarFormat, FromJsonSingleFloatTensorSixDigitPrecision (shape from
    # nesting; float32 written so that it parses back to the same float32)
    import tensorflow as tf
    from tensorflow.core.framework import types_pb2

    key = "instances" if row else "inputs"
    body = json.dumps({key: arr.tolist()}).encode()
    fmt, req = _fill(jt, body, types_pb2.DT_FLOAT)
    got = tf.make_ndarray(req.inputs["x"])
    assert got.dtype == np.float32
    assert got.shape == arr.shape
    np.testing.assert_array_equal(got, arr)
    out = jt.make_json_from_tensors({"y": (types_pb2.DT_FLOAT, got)}, fmt)
    doc = json.loads(out)
    back = np.asarray(doc["predictions" if row else "outputs"], dtype=np.float32)
    np.testing.assert_array_equal(back, arr)
    assert "Traceback" not in out


@SETTINGS
@given(arr=i64_arrays)
def test_int64_round_trip_in_process(jt, arr):
    # source: tensorflow_serving/util/json_tensor.cc AddValueToTensor (DT_INT64 accepts any int64)
    # and WriteTensorValue (integers unquoted)
    import tensorflow as tf
    from tensorflow.core.framework import types_pb2

    body = json.dumps({"inputs": arr.tolist()}).encode()
    fmt, req = _fill(jt, body, types_pb2.DT_INT64)
    got = tf.make_ndarray(req.inputs["x"])
    np.testing.assert_array_equal(got, arr)
    doc = json.loads(jt.make_json_from_tensors({"y": (types_pb2.DT_INT64, got)}, fmt))
    assert doc["outputs"] == arr.tolist()


@SETTINGS
@given(values=st.lists(st.floats(width=32), min_size=1, max_size=8))
def test_float_token_format_in_process(jt, values):
    # source: tensorflow_serving/util/json_tensor.cc WriteDecimal (see expected_float_token)
    from tensorflow.core.framework import types_pb2

    arr = np.asarray(values, dtype=np.float32)
    out = jt.make_json_from_tensors({"y": (types_pb2.DT_FLOAT, arr)}, "columnar")
    inner = out[out.index("[") + 1: out.rindex("]")]
    tokens = [t.strip() for t in inner.split(",")]
    assert tokens == [expected_float_token(v) for v in arr]


@SETTINGS
@given(doc=json_values, dtype=st.sampled_from(["DT_FLOAT", "DT_INT32", "DT_STRING", "DT_BOOL", "DT_INT64"]))
def test_random_json_never_crashes_in_process(jt, doc, dtype):
    # source: tensorflow_serving/util/json_tensor.cc FillPredictRequestFromJson (every bad input
    # is an INVALID_ARGUMENT status, never a crash)
    from tensorflow.core.framework import types_pb2
    from tfs_compat.errors import ServingError
    from tfs_compat.rest_server import http_status

    body = json.dumps(doc).encode()
    try:
        _fill(jt, body, getattr(types_pb2, dtype))
    except ServingError as exc:
        assert http_status(exc) == 400, (exc.code, exc.message)
        assert "Traceback" not in exc.message


# ---------------------------------------------------------------------------------------------
# Over REST (identity model: float32 / int64 / double / bool signatures, any shape)
# ---------------------------------------------------------------------------------------------
@REST_SETTINGS
@given(arr=f32_arrays, row=st.booleans())
def test_float_round_trip_rest(http, rest_url, arr, row):
    # source: tensorflow_serving/util/json_tensor_test.cc FromJsonSingleTensor (row: dim 0 split
    # into "predictions"; columnar: whole tensor in "outputs"), WriteDecimal round trip
    key = "instances" if row else "inputs"
    r = http.post(f"{rest_url}/v1/models/identity:predict", data=json.dumps({key: arr.tolist()}), timeout=30)
    assert r.status_code == 200, r.text
    back = np.asarray(r.json()["predictions" if row else "outputs"], dtype=np.float32)
    assert back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)
    # every number token is TF Serving's float format
    tokens = re.findall(r"-?(?:\d|Infinity|NaN)[0-9.e+\-]*|NaN|-?Infinity", r.text)
    assert tokens == [expected_float_token(v) for v in arr.ravel()]


@REST_SETTINGS
@given(arr=i64_arrays)
def test_int64_round_trip_rest(http, rest_url, arr):
    # source: tensorflow_serving/util/json_tensor.cc AddValueToTensor / WriteTensorValue (int64)
    body = json.dumps({"signature_name": "int64", "instances": arr.tolist()})
    r = http.post(f"{rest_url}/v1/models/identity:predict", data=body, timeout=30)
    assert r.status_code == 200, r.text
    assert r.json() == {"predictions": arr.tolist()}


@REST_SETTINGS
@given(doc=json_values, signature=st.sampled_from(["serving_default", "int64", "bool", "double"]))
def test_random_json_never_5xx_rest(http, rest_url, doc, signature):
    # source: tensorflow_serving/util/json_tensor.cc (malformed requests are INVALID_ARGUMENT ->
    # 400 via model_servers/http_server.cc ToHTTPStatusCode); JSON error body from
    # MakeJsonFromStatus
    if isinstance(doc, dict):
        doc = dict(doc)
        doc.setdefault("signature_name", signature)
    r = http.post(f"{rest_url}/v1/models/identity:predict", data=json.dumps(doc), timeout=30)
    assert r.status_code in (200, 400), (r.status_code, r.text)
    assert "Traceback" not in r.text
    body = json.loads(r.text)
    if r.status_code == 400:
        assert list(body) == ["error"]
    else:
        assert list(body) in (["predictions"], ["outputs"])


@REST_SETTINGS
@given(data=st.binary(max_size=64))
def test_random_bytes_never_5xx_rest(http, rest_url, data):
    # source: tensorflow_serving/util/json_tensor.cc ParseJson ("JSON Parse error: ...")
    r = http.post(f"{rest_url}/v1/models/identity:predict", data=data, timeout=30)
    assert r.status_code in (200, 400), (r.status_code, r.text)
    assert "Traceback" not in r.text

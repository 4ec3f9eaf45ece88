"""The vectorised JSON → tensor path gives exactly what the per-element walk (json_tensor.cc) gives.

The compatible server converts a dense numeric JSON array in one numpy call and keeps the
element-by-element walk of util/json_tensor.cc for everything else and for error texts. In-process
and property-based: for random nested values and input dtypes, the answer with the fast path (array
bits, or error text) must equal the answer with the fast path switched off.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

jt = pytest.importorskip("tfs_compat.json_tensor")
from tensorflow.core.framework import types_pb2  # noqa: E402
from tensorflow.core.protobuf import meta_graph_pb2  # noqa: E402
from tensorflow_serving.apis import predict_pb2  # noqa: E402

from tfs_compat.errors import ServingError  # noqa: E402

DTYPES = [types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_INT32, types_pb2.DT_INT16, types_pb2.DT_INT8,
          types_pb2.DT_UINT8, types_pb2.DT_INT64]
NUMBERS = (st.integers(-(2**65), 2**65) | st.floats(allow_nan=False) | st.sampled_from([0, -0.0, 1e308, 2**53 + 1])
           | st.integers(-300, 300))
LEAVES = NUMBERS | st.sampled_from([True, False, None, "1.5", {}, {"b64": "AA=="}])


@st.composite
def dense_or_not(draw):
    shape = draw(st.lists(st.integers(0, 3), min_size=1, max_size=3))
    mostly_numbers = draw(st.booleans())

    def build(dims):
        if not dims:
            return draw(NUMBERS if mostly_numbers else LEAVES)
        return [build(dims[1:]) for _ in range(dims[0])]

    value = build(shape)
    if draw(st.integers(0, 4)) == 0 and isinstance(value, list) and value:  # make it ragged
        value[0] = [value[0], 1] if not isinstance(value[0], list) else value[0] + [1]
    return value


def _convert(body: bytes, dtype, fast: bool, monkeypatch):
    if not fast:  # both fast paths off: the numpy one here, simdjson's (test_dense_float_body.py)
        monkeypatch.setattr(jt, "_dense_numeric", lambda *a: None)
        monkeypatch.setattr(jt.dense_float_body, "read_float_array", lambda _body: None)
    info = meta_graph_pb2.TensorInfo(name="x:0", dtype=dtype)
    arrays = {}
    try:
        jt.fill_predict_request(body, predict_pb2.PredictRequest(), lambda sig: {"x": info}, arrays)
    except ServingError as e:
        return ("error", e.code, e.message)
    finally:
        monkeypatch.undo()
    arr = arrays["x"]
    return ("ok", arr.dtype.str, arr.shape, arr.tobytes())


@settings(derandomize=True, max_examples=400, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=dense_or_not(), dtype=st.sampled_from(DTYPES), key=st.sampled_from(["instances", "inputs"]))
def test_fast_path_equals_element_walk(monkeypatch, value, dtype, key):
    if key == "instances" and not (isinstance(value, list) and value):
        value = [value]
    body = json.dumps({key: value}).encode()
    assert _convert(body, dtype, True, monkeypatch) == _convert(body, dtype, False, monkeypatch)


def test_fast_path_is_taken_for_a_dense_float_body(monkeypatch):
    # A float body that simdjson's path leaves alone (it has a signature_name) takes numpy's.
    calls = []
    real = jt._dense_numeric
    monkeypatch.setattr(jt, "_dense_numeric", lambda *a: calls.append(1) or real(*a))
    x = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    info = meta_graph_pb2.TensorInfo(name="x:0", dtype=types_pb2.DT_FLOAT)
    arrays = {}
    jt.fill_predict_request(json.dumps({"signature_name": "", "instances": x.tolist()}).encode(),
                            predict_pb2.PredictRequest(),
                            lambda sig: {"x": info}, arrays)
    assert calls and arrays["x"].dtype == np.float32
    np.testing.assert_array_equal(arrays["x"], x)

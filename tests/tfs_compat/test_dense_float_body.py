"""The dense float fast path (tfs_compat/dense_float_body.py) answers exactly as the general path does.

Every body is converted twice, with the fast path and with it switched off, and the two outcomes
(tensor dtype, shape and bytes; or error code and text) must be equal. The bodies sit on the fast
path's borders: dense and ragged arrays, empty dimensions, literals, NaN, big integers, negative
zero, a byte-order mark, duplicate keys, trailing bytes, odd whitespace, a signature_name.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

SETTINGS = settings(derandomize=True, max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

numbers = (st.floats(allow_nan=False, allow_infinity=False) | st.floats(width=32, allow_nan=False)
           | st.integers(-(2**66), 2**66) | st.sampled_from([0, -0.0, 1e-400, 1e300, 5e-324]))
dense = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3).flatmap(
    lambda shape: st.lists(numbers, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))).map(
        lambda flat: np.array(flat, dtype=object).reshape(shape).tolist()))
leaves = numbers | st.sampled_from([True, None, "1", [], {}])
ragged = st.recursive(leaves, lambda inner: st.lists(inner, min_size=0, max_size=3), max_leaves=10)
spaces = st.sampled_from(["", " ", "\n", "\t ", "\r\n  "])


@st.composite
def bodies(draw):
    value = draw(dense | ragged)
    key = draw(st.sampled_from(["instances", "inputs", "x", "\\u0069nputs"]))
    pad = draw(spaces)
    text = json.dumps(value, separators=("," + pad, ":" + pad)).replace("Infinity", "1e999")
    text = "{%s\"%s\"%s:%s%s%s}" % (pad, key, pad, pad, text, pad)
    edit = draw(st.sampled_from(["", "", "bom", "dup", "trailing", "signature", "nan", "nul", "nest"]))
    if edit == "bom":
        text = "\ufeff" + text
    elif edit == "dup":
        text = text[:-1] + ', "%s": [1]}' % key
    elif edit == "trailing":
        text += draw(st.sampled_from([" ]", "x", " {}"]))
    elif edit == "signature":
        text = '{"signature_name": "", ' + text[1:]
    elif edit == "nan":
        text = text.replace("1", "NaN", 1)
    elif edit == "nul":
        text += "\x00]"
    elif edit == "nest":  # an array in a number's place
        text = re.sub(r"(-?[0-9][0-9.eE+-]*)", r"[\1]", text, count=1)
    return text.encode("utf-8")


@pytest.fixture(scope="module")
def jt():
    from tfs_compat import json_tensor  # noqa: PLC0415

    return json_tensor


def _outcome(jt, body, dtype):
    from tensorflow.core.protobuf import meta_graph_pb2
    from tensorflow_serving.apis import predict_pb2
    from tfs_compat.errors import ServingError

    info = meta_graph_pb2.TensorInfo(dtype=dtype, name="x:0")
    arrays = {}
    try:
        fmt = jt.fill_predict_request(body, predict_pb2.PredictRequest(), lambda _sig: {"x": info}, arrays)
    except ServingError as exc:
        return ("error", exc.code, exc.message)
    arr = arrays["x"]
    return (fmt, arr.dtype.str, arr.shape, arr.tobytes())


def _both(jt, monkeypatch, body, dtype):
    fast = _outcome(jt, body, dtype)
    with monkeypatch.context() as m:
        m.setattr(jt.dense_float_body, "read_float_array", lambda _body: None)
        general = _outcome(jt, body, dtype)
    return fast, general


# Each way of checking rectangularity (dense_float_body.is_dense), forced: by asking every array
# its length, or by comparing the body's brackets and commas with the dense shape's.
CHECKS = {"lengths": 0, "brackets": 10**9}


@pytest.mark.parametrize("check", CHECKS)
@SETTINGS
@given(body=bodies())
def test_fast_path_answers_as_the_general_path(jt, monkeypatch, check, body):
    from tensorflow.core.framework import types_pb2

    monkeypatch.setattr(jt.dense_float_body, "BYTES_PER_ARRAY", CHECKS[check])
    for dtype in (types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_INT32):
        fast, general = _both(jt, monkeypatch, body, dtype)
        assert fast == general, body


def test_the_benchmark_body_takes_the_fast_path(jt):
    # Without this, a change that sends every body down the general path would keep the test above
    # green and silently bring back the 10+ ms per 256×784 request.
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 784)).astype(np.float32)
    for key in ("instances", "inputs"):
        got = jt.dense_float_body.read_float_array(json.dumps({key: x.tolist()}).encode())
        assert got is not None and got[0] == key
        np.testing.assert_array_equal(got[1], x)


@pytest.mark.parametrize("value, dims", [
    ("[1, 2, 3]", [3]),
    ("[[1, 2], [3, 4]]", [2, 2]),
    ("[[[1, 2]], [[3, 4]], [[5, 6]]]", [3, 1, 2]),
    ("[[1, 2], [3]]", [2, 2]),  # along the first elements only: is_dense finds the rest
    ("5", None),  # not an array
    ("[]", None),  # an empty dimension: the general path decides
    ("[[], [1]]", None),
])
def test_dims_of(value, dims):
    import simdjson
    from tfs_compat.dense_float_body import dims_of

    doc = simdjson.Parser().parse(value.encode())
    assert dims_of(doc) == dims


@pytest.mark.parametrize("body", [
    b'{"inputs": []}', b'{"inputs": [[1], []]}', b'{"inputs": [[], []]}', b'{"inputs": [[[]]]}',
    b'{"instances": [[1, 2], [3]]}', b'{"inputs": 5}', b'{"inputs": [1, true]}', b'{"inputs": [1, "2"]}',
    # An array in a number's place, with as many numbers as a dense array: the lengths alone miss it.
    b'{"inputs": [[1, [2]], [3, 4]]}', b'{"inputs": [[1, []], [3, 4, 5]]}',
])
@pytest.mark.parametrize("check", CHECKS)
def test_empty_or_ragged_arrays_take_the_general_path(monkeypatch, body, check):
    from tfs_compat import dense_float_body

    monkeypatch.setattr(dense_float_body, "BYTES_PER_ARRAY", CHECKS[check])
    assert dense_float_body.read_float_array(body) is None


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 2, 2, 1), (1, 1, 1)])
def test_dense_arrays_take_the_fast_path_either_way(monkeypatch, check, shape):
    from tfs_compat import dense_float_body

    monkeypatch.setattr(dense_float_body, "BYTES_PER_ARRAY", CHECKS[check])
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 8
    got = dense_float_body.read_float_array(json.dumps({"inputs": x.tolist()}, indent=1).encode())
    assert got is not None
    np.testing.assert_array_equal(got[1], x)


def test_a_body_for_another_dtype_skips_simdjson(jt, monkeypatch):
    # A uint8 model's body goes straight to the general path: simdjson never sees it.
    from tensorflow.core.framework import types_pb2

    seen = []
    monkeypatch.setattr(jt.dense_float_body, "read_float_array", lambda body: seen.append(body))
    _outcome(jt, b'{"instances": [[1, 2]]}', types_pb2.DT_UINT8)
    assert seen == []
    _outcome(jt, b'{"instances": [[1, 2]]}', types_pb2.DT_FLOAT)
    assert len(seen) == 1


def test_the_differential_check_can_fail(jt, monkeypatch):
    # Counter-test: a fast path that reads a ragged body as dense must be caught by the comparison.
    from tensorflow.core.framework import types_pb2

    body = b'{"instances": [[1, 2], [3]]}'
    # What a fast path without the shape checks would return: the numbers, flattened.
    monkeypatch.setattr(jt.dense_float_body, "read_float_array",
                        lambda _body: ("instances", np.array([1, 2, 3], np.float32)))
    fast, general = _both(jt, monkeypatch, body, types_pb2.DT_FLOAT)
    assert fast != general
    assert general[0] == "error"

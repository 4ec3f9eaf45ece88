"""Hostile input: the server answers everything, keeps predicting correctly, and stays bounded.

Hypothesis throws at the shared server what a careless or hostile client sends: arbitrary JSON,
byte-mutated and non-UTF-8 bodies, deep nesting, lone surrogates, odd URLs (names, labels,
versions, percent-encoding), random TensorProtos (any dtype, absurd shapes) and bytes that are no
protobuf at all. Only invariants are asserted, never exact texts (the other modules pin those):

- REST: every answer is 2xx, or 4xx with TF Serving's error body ``{"error": "<text>"}`` as JSON
  (model_servers/http_server.cc, util/json_tensor.cc MakeJsonFromStatus); the only other shapes
  are the two TF Serving sends itself: libevent's 404 page for paths outside ``/v1/``, and an empty
  400 for a version beyond int64 (http_rest_api_handler.cc returns before MakeJsonFromStatus);
- gRPC: every failure has a status other than INTERNAL and UNKNOWN (those mean "the server broke");
- the Prometheus page stays 200 and every line is a well-formed sample (no forged metric);
- afterwards the server still predicts half_plus_two exactly, over REST and gRPC;
- RSS: calls with distinct gRPC deadlines add less than RSS_GROWTH_LIMIT_MB. A session callable
  cached per deadline costs about 1.2 KB each for half_plus_two's tiny graph (more for larger
  graphs): 4,000 calls ≈ 4.6 MiB, measured with the old cache in place; without it, +0.1 MiB.

Deterministic (``derandomize=True``) and bounded: about 30 s in the gate. ``nox -s fuzz`` runs the
same with SERVER_FUZZ_SCALE=10 (ten times the examples, 20,000 deadline calls).
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCALE = int(os.environ.get("SERVER_FUZZ_SCALE", "1"))
RSS_GROWTH_LIMIT_MB = 2  # over DEADLINE_CALLS calls after a 1,000-call warm-up


def _settings(n):
    return settings(derandomize=True, max_examples=n * SCALE, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


MODELS = ["half_plus_two", "versioned", "multi", "strings", "identity"]
APIS = ["predict", "classify", "regress"]
SAMPLE_RE = re.compile(
    r'[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\\n])*")*\})?'
    r" -?([0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?|\+Inf|NaN)")


# ------------------------------------------------------------------------------------------
# Invariants
# ------------------------------------------------------------------------------------------
def assert_tfs_answer(resp, path: str):
    """2xx, or 4xx with TF Serving's JSON error body (libevent's 404 page outside /v1/)."""
    body = resp.content
    shown = body[:300]
    assert resp.status_code < 500, f"HTTP {resp.status_code} for {path[:200]!r}: {shown!r}"
    assert b"Traceback" not in body, shown
    if resp.status_code < 400:
        return
    if resp.status_code == 404 and resp.headers.get("Content-Type") == "text/html":
        assert not re.fullmatch(r"(?is)/v1/.*", path), f"HTML 404 for a /v1/ path: {path!r}"
        return
    version = re.search(r"/versions/([0-9]+)", path)
    if resp.status_code == 400 and body == b"" and version and int(version.group(1)) >= 2**63:
        return  # TF Serving's own answer: ParseModelInfo fails before MakeJsonFromStatus (test_rest_transport)
    assert resp.headers.get("Content-Type", "").startswith("application/json"), (resp.headers, shown)
    doc = json.loads(body.decode("utf-8", "surrogateescape"))
    assert isinstance(doc, dict) and list(doc) == ["error"] and isinstance(doc["error"], str), shown


def assert_metrics_page(http, rest_url):
    resp = http.get(f"{rest_url}/monitoring/prometheus/metrics", timeout=30)
    assert resp.status_code == 200, resp.content[:300]
    for line in resp.content.decode("utf-8", "surrogateescape").split("\n"):  # the format's only separator
        if line.startswith("# TYPE ") or not line:
            continue
        assert SAMPLE_RE.fullmatch(line), f"malformed or forged sample: {line[:300]!r}"


def assert_still_serving(http, rest_url, prediction_stub):
    from tests.tfs_compat.harness import predict_request, to_ndarray  # noqa: PLC0415

    resp = http.post(f"{rest_url}/v1/models/half_plus_two:predict", json={"instances": [1.0, 2.0, 5.0]},
                     timeout=30)
    assert resp.status_code == 200 and resp.json() == {"predictions": [2.5, 3.0, 4.5]}, resp.text
    out = prediction_stub.Predict(predict_request("half_plus_two", {"x": [1.0, 2.0, 5.0]}), timeout=30)
    assert to_ndarray(out.outputs["y"]).tolist() == [2.5, 3.0, 4.5]


@pytest.fixture(autouse=True)
def after_each(http, rest_url, prediction_stub, main_server):
    """After every test of this module: the server is alive, its metrics page sound, its answers right."""
    yield
    if main_server.proc is not None:
        assert main_server.proc.poll() is None, "the server exited"
    assert_metrics_page(http, rest_url)
    assert_still_serving(http, rest_url, prediction_stub)


# ------------------------------------------------------------------------------------------
# REST bodies
# ------------------------------------------------------------------------------------------
KEYS = st.sampled_from(["instances", "inputs", "signature_name", "examples", "context", "x", "y", "a", "b",
                        "s", "i", "b64", "inputs"]) | st.text(max_size=6)
SCALARS = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8)
           | st.sampled_from(["serving_default", "classify_x_to_y", "regress_x_to_y", "scalar", "bytes",
                              "int64", "double", "bool", "\x00"]))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(KEYS, inner, max_size=4), max_leaves=24)
TARGETS = st.tuples(st.sampled_from(MODELS), st.sampled_from(APIS))


def _dumps(doc) -> bytes:
    # allow_nan: RapidJSON reads NaN/Infinity (kParseNanAndInfFlag); lone surrogates pass as escapes.
    return json.dumps(doc, allow_nan=True).encode()


def _valid_body(model: str, api: str) -> bytes:
    if api == "predict":
        return _dumps({"instances": [1.0, 2.0]} if model != "strings" else {"instances": ["ab"]})
    return _dumps({"examples": [{"x": 1.0}, {"x": [2, 3]}]})


def _post(http, rest_url, model, api, body):
    path = f"/v1/models/{model}:{api}"
    resp = http.post(rest_url + path, data=body, timeout=60)
    assert_tfs_answer(resp, path)


@_settings(300)
@given(doc=JSON_VALUES, target=TARGETS, wrap=st.sampled_from(["instances", "inputs", "examples", None]))
def test_arbitrary_json(http, rest_url, doc, target, wrap):
    body = doc if wrap is None else {wrap: doc}
    _post(http, rest_url, *target, _dumps(body))


@_settings(300)
@given(target=TARGETS, data=st.data())
def test_byte_mutations(http, rest_url, target, data):
    body = bytearray(_valid_body(*target))
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        i = data.draw(st.integers(0, len(body)), label="at")
        op = data.draw(st.sampled_from(["flip", "insert", "delete", "truncate"]), label="op")
        byte = data.draw(st.integers(0, 255), label="byte")
        if op == "flip" and i < len(body):
            body[i] = byte
        elif op == "insert":
            body.insert(i, byte)
        elif op == "delete" and i < len(body):
            del body[i]
        elif op == "truncate":
            del body[i:]
    _post(http, rest_url, *target, bytes(body))


INVALID_UTF8 = st.sampled_from([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\x80", b"\xf8\x88\x80\x80\x80", b"\xe2\x82"])


@_settings(80)
@given(target=TARGETS, bad=INVALID_UTF8, where=st.sampled_from(["value", "key", "signature", "feature"]))
def test_invalid_utf8(http, rest_url, target, bad, where):
    model, api = target
    body = {
        "value": b'{"instances": ["a' + bad + b'"]}',
        "key": b'{"instances": [{"' + bad + b'": 1.0}]}',
        "signature": b'{"signature_name": "' + bad + b'", "instances": [1.0], "examples": [{"x": 1.0}]}',
        "feature": b'{"examples": [{"' + bad + b'": 1.0, "x": 2.0}]}',
    }[where]
    _post(http, rest_url, model, api, body)


SURROGATES = st.sampled_from(["\\ud800", "\\udc00", "\\udbff", "\\udfff", "\\ud800\\ud800", "\\udc00\\ud800",
                              "\\ud800\\udc00"])


@_settings(60)
@given(target=TARGETS, sur=SURROGATES, where=st.sampled_from(["value", "key", "signature", "feature", "label"]))
def test_lone_surrogates(http, rest_url, target, sur, where):
    model, api = target
    body = {
        "value": '{"instances": ["%s"], "examples": [{"x": "%s"}]}' % (sur, sur),
        "key": '{"instances": [{"%s": 1.0}], "inputs": {"%s": 1}}' % (sur, sur),
        "signature": '{"signature_name": "%s", "instances": [1.0], "examples": [{"x": 1.0}]}' % sur,
        "feature": '{"examples": [{"%s": 1.0}]}' % sur,
        "label": '{"instances": [1.0], "%s": 1}' % sur,
    }[where]
    _post(http, rest_url, model, api, body.encode())


@_settings(40)
@given(target=TARGETS, depth=st.integers(1, 3000), shape=st.sampled_from(["list", "object", "mixed"]),
       wrap=st.sampled_from(["instances", "inputs", "examples"]))
def test_deep_nesting(http, rest_url, target, depth, shape, wrap):
    opener, closer = {"list": ("[", "]"), "object": ('{"x":', "}"), "mixed": ('[{"x":', "}]")}[shape]
    body = '{"%s": %s1.0%s}' % (wrap, opener * depth, closer * depth)
    _post(http, rest_url, *target, body.encode())


# ------------------------------------------------------------------------------------------
# URLs
# ------------------------------------------------------------------------------------------
NAME_BYTES = st.binary(max_size=6) | st.sampled_from([b"half_plus_two", b"versioned", b'x","status="OK"} 9 #',
                                                      b"\xff", b"a\nb", b"\\", b'"'])
URL_PARTS = st.tuples(
    NAME_BYTES,
    st.sampled_from(["", "versions", "labels"]),
    st.sampled_from(["1", "2", "0", "123", "99999999999999999999", "-1", "1.5", ""]) | NAME_BYTES.map(
        lambda b: urllib.parse.quote_from_bytes(b, safe="")),
    st.sampled_from([":predict", ":classify", ":regress", "/metadata", "", ":PREDICT", "/x"]),
    st.sampled_from(["GET", "POST"]),
)


@_settings(400)
@given(parts=URL_PARTS)
def test_urls(http, rest_url, parts):
    name, kind, version, tail, method = parts
    path = "/v1/models/" + urllib.parse.quote_from_bytes(name, safe="")
    if kind:
        path += f"/{kind}/{version}"
    path += tail
    resp = http.request(method, rest_url + path, data=b'{"instances": [1.0]}' if method == "POST" else None,
                        timeout=60)
    assert_tfs_answer(resp, path)


# ------------------------------------------------------------------------------------------
# gRPC
# ------------------------------------------------------------------------------------------
def _dtypes():
    from tensorflow.core.framework import types_pb2  # noqa: PLC0415

    return sorted(v for v in types_pb2.DataType.values() if v < 100)


DIMS = st.lists(st.integers(-2, 4) | st.sampled_from([10**12, 2**62, 2**63 - 1, 2**31]), max_size=6) | st.lists(
    st.just(1), min_size=60, max_size=300)


@st.composite
def tensor_protos(draw):
    from tensorflow.core.framework import tensor_pb2  # noqa: PLC0415

    t = tensor_pb2.TensorProto()
    t.dtype = draw(st.sampled_from(_dtypes()))
    for d in draw(DIMS):
        t.tensor_shape.dim.add(size=d)
    t.tensor_shape.unknown_rank = draw(st.integers(0, 9)) == 0
    field = draw(st.sampled_from(["float_val", "double_val", "int_val", "int64_val", "bool_val", "string_val",
                                  "half_val", "uint32_val", "uint64_val", "scomplex_val", "tensor_content", None]))
    n = draw(st.integers(0, 5))
    if field == "tensor_content":
        t.tensor_content = draw(st.binary(max_size=40))
    elif field in ("float_val", "double_val", "scomplex_val"):
        getattr(t, field).extend(draw(st.lists(st.floats(width=32), min_size=n, max_size=n)))
    elif field in ("int_val", "half_val"):
        getattr(t, field).extend(draw(st.lists(st.integers(-(2**31), 2**31 - 1), min_size=n, max_size=n)))
    elif field == "int64_val":
        t.int64_val.extend(draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n)))
    elif field in ("uint32_val",):
        t.uint32_val.extend(draw(st.lists(st.integers(0, 2**32 - 1), min_size=n, max_size=n)))
    elif field in ("uint64_val",):
        t.uint64_val.extend(draw(st.lists(st.integers(0, 2**64 - 1), min_size=n, max_size=n)))
    elif field == "bool_val":
        t.bool_val.extend(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    elif field == "string_val":
        t.string_val.extend(draw(st.lists(st.binary(max_size=8), min_size=n, max_size=n)))
    return t


def _assert_not_broken(call, request):
    import grpc  # noqa: PLC0415

    try:
        call(request, timeout=60)
    except grpc.RpcError as exc:
        assert exc.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), (exc.code(), exc.details())
        assert "Traceback" not in (exc.details() or "")


@_settings(400)
@given(model=st.sampled_from(MODELS), alias=st.sampled_from(["x", "a", "b", "s", "i", "inputs", "zz"]),
       signature=st.sampled_from(["", "scalar", "int64", "double", "bool", "bytes", "classify_x_to_y"]),
       tensor=tensor_protos(), output_filter=st.lists(st.sampled_from(["y", "sum", "total", "q"]), max_size=2))
def test_grpc_tensor_protos(prediction_stub, model, alias, signature, tensor, output_filter):
    from tensorflow_serving.apis import predict_pb2  # noqa: PLC0415

    req = predict_pb2.PredictRequest()
    req.model_spec.name = model
    req.model_spec.signature_name = signature
    req.inputs[alias].CopyFrom(tensor)
    req.output_filter.extend(output_filter)
    _assert_not_broken(prediction_stub.Predict, req)


GRPC_METHODS = ["/tensorflow.serving.PredictionService/" + m for m in
                ("Predict", "Classify", "Regress", "MultiInference", "GetModelMetadata")] + [
    "/tensorflow.serving.ModelService/GetModelStatus"]


@_settings(120)
@given(method=st.sampled_from(GRPC_METHODS), data=st.binary(max_size=64) | st.sampled_from([
    b"\x0a\x03\x0a\x01\xff", b"\x0a\x05\x0a\x03\xed\xa0\x80", b"\xff" * 10, b"\x0a\xff\xff\xff\xff\x0f"]))
def test_grpc_garbage_bytes(grpc_channel, method, data):
    call = grpc_channel.unary_unary(method)  # raw bytes in, raw bytes out
    _assert_not_broken(call, data)


# ------------------------------------------------------------------------------------------
# Bounded state
# ------------------------------------------------------------------------------------------
DEADLINE_CALLS = 19_000 if SCALE > 1 else 4_000


def test_distinct_deadlines_keep_rss_flat(main_server, prediction_stub):
    """Every gRPC call has its own deadline; none may leave state behind (issue: a callable per deadline).

    Bound: after 1,000 warm-up calls, DEADLINE_CALLS more calls grow RSS by less than
    RSS_GROWTH_LIMIT_MB and by less than 5 % (SCALE=10: 20,000 calls in all)."""
    psutil = pytest.importorskip("psutil")
    if main_server.proc is None:
        pytest.skip("external server: its RSS is not visible here")
    from tests.tfs_compat.harness import predict_request  # noqa: PLC0415

    proc = psutil.Process(main_server.proc.pid)
    req = predict_request("half_plus_two", {"x": [2.0]})

    def calls(start, n):
        for i in range(start, start + n):
            out = prediction_stub.Predict(req, timeout=30.0 + i * 0.0017)  # a new deadline in ms every call
            assert out.outputs["y"].float_val == [3.0]

    calls(0, 1000)
    rss_1000 = proc.memory_info().rss
    calls(1000, DEADLINE_CALLS)
    rss_end = proc.memory_info().rss
    growth_mb = (rss_end - rss_1000) / 2**20
    print(f"RSS after 1,000 calls {rss_1000 / 2**20:.1f} MiB, after {1000 + DEADLINE_CALLS:,} "
          f"{rss_end / 2**20:.1f} MiB (+{growth_mb:.1f} MiB)")
    assert growth_mb < RSS_GROWTH_LIMIT_MB
    assert rss_end <= rss_1000 * 1.05

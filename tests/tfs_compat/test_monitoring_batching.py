"""Prometheus monitoring endpoint and request batching."""

from __future__ import annotations

import json
import re
import threading

import numpy as np
import pytest
import requests

from tests.tfs_compat import models
from tests.tfs_compat.harness import EXTERNAL, NEEDS_OWN_SERVER, predict_request, to_ndarray

METRICS = "/monitoring/prometheus/metrics"
_LINE = re.compile(r"^([A-Za-z0-9_:]+)(?:\{(.*)\})? (-?[0-9.e+]+|NaN|[+-]Inf)$")
_LABEL = re.compile(r'([A-Za-z0-9_]+)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> tuple[dict, list]:
    """Prometheus text -> ({name: type}, [(name, {label: value}, float)])."""
    types, samples = {}, []
    for line in text.split("\n"):  # the format's only line separator (label values may hold \r, \x1c, ...)
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if not line or line.startswith("#"):
            continue
        m = _LINE.match(line)
        assert m, f"unparsable metrics line: {line!r}"
        labels = dict(_LABEL.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


def sample(samples, name, **labels):
    vals = [v for n, lab, v in samples if n == name and all(lab.get(k) == w for k, w in labels.items())]
    return sum(vals) if vals else 0.0


def scrape(srv_url):
    r = requests.get(srv_url + METRICS, timeout=30)
    assert r.status_code == 200, r.text
    return r


def test_prometheus_endpoint(http, rest_url):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py
    # testPrometheusEndpoint ("# TYPE" in the page); util/prometheus_exporter.cc (format, names
    # with "/" -> ":"); model_servers/http_server.cc (Content-Type: text/plain)
    r = scrape(rest_url)
    assert r.headers["Content-Type"].startswith("text/plain")
    assert "# TYPE" in r.text
    assert r.text.endswith("\n")
    assert "Traceback" not in r.text
    parse_metrics(r.text)


def test_request_count_by_model_and_status(http, rest_url):
    # source: tensorflow_serving/servables/tensorflow/util.cc RecordModelRequestCount
    # (":tensorflow:serving:request_count", labels model_name and status = code name);
    # model_servers/http_server.cc ProcessRequest (every REST request is counted)
    name = ":tensorflow:serving:request_count"
    _, before = parse_metrics(scrape(rest_url).text)
    for _ in range(3):
        assert http.post(f"{rest_url}/v1/models/half_plus_two:predict", data='{"instances": [1.0]}',
                         timeout=30).status_code == 200
    for _ in range(2):
        assert http.post(f"{rest_url}/v1/models/half_plus_two/versions/77:predict",
                         data='{"instances": [1.0]}', timeout=30).status_code == 404
    types, after = parse_metrics(scrape(rest_url).text)
    assert types[name] == "counter"
    ok = sample(after, name, model_name="half_plus_two", status="OK") - \
        sample(before, name, model_name="half_plus_two", status="OK")
    nf = sample(after, name, model_name="half_plus_two", status="NOT_FOUND") - \
        sample(before, name, model_name="half_plus_two", status="NOT_FOUND")
    assert ok == 3
    assert nf == 2


def test_request_latency_histogram(http, rest_url, prediction_stub):
    # source: tensorflow_serving/servables/tensorflow/util.cc RecordRequestLatency
    # (":tensorflow:serving:request_latency", labels model_name, API, entrypoint; REST uses the
    # URL verb, gRPC the RPC name); util/prometheus_exporter.cc (_bucket with le, +Inf, _sum,
    # _count)
    name = ":tensorflow:serving:request_latency"
    http.post(f"{rest_url}/v1/models/half_plus_two:predict", data='{"instances": [1.0]}', timeout=30)
    prediction_stub.Predict(predict_request("half_plus_two", {"x": np.array([[1.0]], np.float32)}), timeout=30)
    types, samples = parse_metrics(scrape(rest_url).text)
    assert types[name] == "histogram"
    for api, entry in (("predict", "REST"), ("Predict", "GRPC")):
        lab = {"model_name": "half_plus_two", "API": api, "entrypoint": entry}
        count = sample(samples, name + "_count", **lab)
        assert count >= 1, (api, entry)
        buckets = [(l["le"], v) for n, l, v in samples
                   if n == name + "_bucket" and all(l.get(k) == w for k, w in lab.items())]
        assert buckets and buckets[-1][0] == "+Inf"
        assert buckets[-1][1] == count
        values = [v for _, v in buckets]
        assert values == sorted(values)  # cumulative
        assert sample(samples, name + "_sum", **lab) > 0


def test_metrics_path_with_query_string(http, rest_url):
    # source: tensorflow_serving/model_servers/http_server.cc ("Unexpected path: %s. Should be %s",
    # INVALID_ARGUMENT -> 400, text/plain)
    r = http.get(rest_url + METRICS + "?x=1", timeout=30)
    assert r.status_code == 400
    assert r.text == f"Unexpected path: {METRICS}?x=1. Should be {METRICS}"


# ---------------------------------------------------------------------------------------------
# Batching
# ---------------------------------------------------------------------------------------------
WRAPPED = ":tensorflow:serving:batching_session:wrapped_run_count"


def test_metrics_have_samples_once_a_model_has_loaded(module_servers, model_sources, tmp_path_factory):
    # source: tensorflow_serving/model_servers/tensorflow_model_server_test.py testPrometheusEndpoint
    # scrapes a fresh server before any request and expects "# TYPE"; TF's SavedModel loader
    # (tensorflow/cc/saved_model/loader.cc) counts every load in load_attempt_count{model_path,status}
    # with status "success" or "fail", and load_latency{model_path} in microseconds.
    if EXTERNAL:
        pytest.skip(NEEDS_OWN_SERVER)
    monitoring = tmp_path_factory.mktemp("fresh-metrics") / "monitoring.config"
    monitoring.write_text(models.MONITORING_CONFIG)
    base = model_sources["plus2"].parent
    srv = module_servers.start(
        ["--model_name=half_plus_two", f"--model_base_path={base}", f"--monitoring_config_file={monitoring}"],
        models=["half_plus_two"], name="fresh-metrics")
    types, samples = parse_metrics(scrape(srv.rest_url).text)
    assert types.get(":tensorflow:cc:saved_model:load_attempt_count") == "counter", sorted(types)
    loaded = [lab for name, lab, v in samples
              if name == ":tensorflow:cc:saved_model:load_attempt_count" and v == 1]
    assert [lab["status"] for lab in loaded] == ["success"], samples
    assert loaded[0]["model_path"].startswith(str(base)), loaded
    assert sample(samples, ":tensorflow:cc:saved_model:load_latency") > 0


@pytest.fixture(scope="module")
def batching_server(module_servers, model_sources, tmp_path_factory):
    if EXTERNAL:
        pytest.skip(NEEDS_OWN_SERVER)
    tmp = tmp_path_factory.mktemp("batching")
    params = tmp / "batching.config"
    # source: tensorflow_serving/servables/tensorflow/testdata/batching_config.txt (format);
    # a long timeout so that concurrent requests are collected into one batch
    params.write_text(
        "max_batch_size { value: 64 }\n"
        "batch_timeout_micros { value: 500000 }\n"
        "max_enqueued_batches { value: 100 }\n"
        "num_batch_threads { value: 1 }\n"
    )
    monitoring = tmp / "monitoring.config"
    monitoring.write_text(models.MONITORING_CONFIG)
    return module_servers.start(
        ["--model_name=half_plus_two", f"--model_base_path={model_sources['plus2'].parent}",
         "--enable_batching", f"--batching_parameters_file={params}",
         f"--monitoring_config_file={monitoring}"],
        models=["half_plus_two"], name="batching",
    )


def _all_at_once(n, call):
    """call(0) ... call(n-1) in n threads released together by a barrier; the errors they raised."""
    errors, barrier = [], threading.Barrier(n)

    def run(i):
        try:
            barrier.wait(30)
            call(i)
        except Exception as exc:  # noqa: BLE001 - returned to the test, which asserts on it
            errors.append(repr(exc))

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return errors


def test_batching_merges_concurrent_requests(batching_server, prediction_stub_for):
    # source: tensorflow_serving/batching/batching_session.cc (concurrent Run calls are merged
    # into one wrapped Run; wrapped_run_count counts wrapped runs), model_servers/server.cc
    # (--enable_batching + --batching_parameters_file)
    srv = batching_server
    stub = prediction_stub_for(srv)
    _, before = parse_metrics(scrape(srv.rest_url).text)
    n = 16
    results = [None] * n

    def call(i):
        if i % 2:
            r = requests.post(f"{srv.rest_url}/v1/models/half_plus_two:predict",
                              data=json.dumps({"instances": [[float(i)]]}), timeout=60)
            assert r.status_code == 200, r.text
            results[i] = r.json()["predictions"][0][0]
        else:
            req = predict_request("half_plus_two", {"x": np.array([[float(i)]], np.float32)})
            results[i] = float(to_ndarray(stub.Predict(req, timeout=60).outputs["y"])[0][0])

    errors = _all_at_once(n, call)
    assert not errors, errors
    assert results == [0.5 * i + 2.0 for i in range(n)]
    types, after = parse_metrics(scrape(srv.rest_url).text)
    assert WRAPPED in types, sorted(types)
    runs = sample(after, WRAPPED) - sample(before, WRAPPED)
    assert 1 <= runs < n, f"{runs} wrapped runs for {n} concurrent requests"


def test_batching_rows_of_different_requests_stay_separate(batching_server):
    # source: tensorflow_serving/batching/batching_session.cc SplitOutputTensors (each task gets
    # back exactly its own rows)
    srv = batching_server
    out = [None] * 4

    def call(i):
        rows = [[float(10 * i + k)] for k in range(i + 1)]
        r = requests.post(f"{srv.rest_url}/v1/models/half_plus_two:predict",
                          data=json.dumps({"instances": rows}), timeout=60)
        out[i] = (rows, r.status_code, r.json())

    threads = [threading.Thread(target=call, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    for rows, status, body in out:
        assert status == 200, body
        assert body == {"predictions": [[0.5 * r[0] + 2.0] for r in rows]}


def test_batching_merges_requests_with_different_deadlines(batching_server, prediction_stub_for):
    # source: tensorflow_serving/batching/batching_session.cc ProcessBatch (a task keeps its own
    # RunOptions; the batch runs with the latest deadline of its tasks: deadlines never split a
    # queue, whose key is the TensorSignature of feeds and fetches)
    srv = batching_server
    stub = prediction_stub_for(srv)
    _, before = parse_metrics(scrape(srv.rest_url).text)
    n = 8
    results = [None] * n

    def call(i):
        req = predict_request("half_plus_two", {"x": np.array([[float(i)]], np.float32)})
        results[i] = float(to_ndarray(stub.Predict(req, timeout=30 + 7.3 * i).outputs["y"])[0][0])

    errors = _all_at_once(n, call)
    assert not errors, errors
    assert results == [0.5 * i + 2.0 for i in range(n)]
    _, after = parse_metrics(scrape(srv.rest_url).text)
    runs = sample(after, WRAPPED) - sample(before, WRAPPED)
    # One queue collects all eight within the 500 ms batch timeout; a queue per deadline made eight runs.
    assert 1 <= runs <= n // 2, f"{runs} wrapped runs for {n} requests with distinct deadlines"

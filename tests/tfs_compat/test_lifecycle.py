"""Model lifecycle: new versions, broken versions, version policies, labels, config reloads.

Each server here has its own flags and model directories (skipped against an external server).
"""

from __future__ import annotations

import json
import shutil
import threading
import time

import grpc
import numpy as np
import pytest
import requests

from tests.tfs_compat import models
from tests.tfs_compat.harness import (
    EXTERNAL,
    NEEDS_OWN_SERVER,
    assert_rpc_error,
    predict_request,
    to_ndarray,
    wait_until,
)

pytestmark = pytest.mark.skipif(EXTERNAL, reason=NEEDS_OWN_SERVER)

AVAILABLE = "AVAILABLE"


def rest_status(srv, model):
    r = requests.get(f"{srv.rest_url}/v1/models/{model}", timeout=10)
    if r.status_code != 200:
        return {}
    return {int(v["version"]): v for v in r.json()["model_version_status"]}


def rest_predict(srv, model, x, suffix=""):
    r = requests.post(f"{srv.rest_url}/v1/models/{model}{suffix}:predict",
                      data=json.dumps({"instances": [[x]]}), timeout=10)
    return r


# ---------------------------------------------------------------------------------------------
# Single model, file-system polling: new version swap and a broken version
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lifecycle_servers(module_servers, model_sources, tmp_path_factory):
    """Starts this module's three servers at once (their TensorFlow imports overlap)."""
    root = tmp_path_factory.mktemp("lifecycle")
    # 1. single model polled from the file system, one load attempt per version
    lc = root / "lc"
    models.copy_version(model_sources["plus2"], lc, 1)
    polled = module_servers.start(
        ["--model_name=lc", f"--model_base_path={lc}", "--file_system_poll_wait_seconds=1",
         "--max_num_load_retries=0"], name="polled", ready=False)
    # 2. config file (versions 1, 2, 3 on disk, policy specific [1, 2]) reloaded over gRPC
    m = root / "m"
    for v, src in ((1, "plus2"), (2, "plus3"), (3, "plus4")):
        models.copy_version(model_sources[src], m, v)
    entries = [{"name": "m", "base_path": str(m), "policy": [1, 2]}]
    cfg = root / "reload.config"
    cfg.write_text(models.models_config_text(entries))
    reload_srv = module_servers.start(
        [f"--model_config_file={cfg}", "--file_system_poll_wait_seconds=1"], name="reload",
        ready=False)
    # 3. config file re-read every second
    poll_cfg = root / "poll.config"
    a = {"name": "a", "base_path": str(model_sources["plus2"].parent)}
    poll_cfg.write_text(models.models_config_text([a]))
    poll_srv = module_servers.start(
        [f"--model_config_file={poll_cfg}", "--model_config_file_poll_wait_seconds=1",
         "--file_system_poll_wait_seconds=1"], name="config-poll", ready=False)
    polled.wait_ready(["lc"])
    reload_srv.wait_ready(["m"])
    poll_srv.wait_ready(["a"])
    return {"polled": (polled, lc), "reload": (reload_srv, m, entries),
            "config_poll": (poll_srv, poll_cfg, a)}


@pytest.fixture(scope="module")
def polled(lifecycle_servers):
    return lifecycle_servers["polled"]


@pytest.fixture(scope="module")
def lc_answers():
    """What each version copied into `lc` answers for x = 2.0 (0.5 * x + offset): version 1 is
    half_plus_two; the swap test records the versions it adds."""
    return {1: 3.0}


def test_exporting_rest_log_line(polled):
    # source: tensorflow_serving/model_servers/server.cc BuildAndStart ("Exporting HTTP/REST API
    # at:localhost:<port> ...", no space after "at:")
    srv, _ = polled
    assert f"Exporting HTTP/REST API at:localhost:{srv.rest_port} ..." in srv.log()


def test_new_version_swap_without_failed_requests(polled, model_sources, lc_answers):
    # source: tensorflow_serving/sources/storage_path/file_system_storage_path_source.cc (new
    # numeric dir aspired on the next poll), core/availability_preserving_policy.cc (the new
    # version is loaded before the old one is unloaded), model_servers/server_core.cc (latest =
    # highest AVAILABLE version): a client loop sees only successes, old answers then new ones
    srv, base = polled
    status = rest_status(srv, "lc")
    current = max(v for v, s in status.items() if s["state"] == AVAILABLE)
    new = max(status) + 1  # above any broken version another test left
    # The answers come from the files this module copied in, never from the server under test;
    # the new version answers differently from the current one, so the switch is visible.
    want_old = lc_answers[current]
    src, want_new = (model_sources["plus3"], 4.0) if want_old == 3.0 else (model_sources["plus2"], 3.0)

    results, stop = [], threading.Event()

    def loop():
        with requests.Session() as s:
            deadline = time.monotonic() + 90  # bounded even if the main thread dies
            while not stop.is_set() and time.monotonic() < deadline:
                try:
                    r = s.post(f"{srv.rest_url}/v1/models/lc:predict",
                               data='{"instances": [[2.0]]}', timeout=10)
                    results.append((r.status_code, r.text))
                except requests.RequestException as exc:
                    results.append((None, repr(exc)))

    t = threading.Thread(target=loop, daemon=True)
    t.start()
    try:
        wait_until(lambda: len(results) >= 5, 30, what="first requests")
        models.copy_version(src, base, new)
        lc_answers[new] = want_new
        wait_until(lambda: rest_status(srv, "lc").get(new, {}).get("state") == AVAILABLE, 60,
                   what=f"version {new} AVAILABLE")
        wait_until(lambda: rest_status(srv, "lc").get(current, {}).get("state") == "END", 60,
                   what=f"version {current} unloaded (END)")
        n = len(results)
        wait_until(lambda: len(results) >= n + 5, 30, what="requests after the swap")
    finally:
        stop.set()
        t.join(30)
    failures = [r for r in results if r[0] != 200]
    assert not failures, failures[:5]
    answers = [json.loads(text)["predictions"][0][0] for _, text in results]
    assert set(answers) <= {want_old, want_new}, set(answers)
    assert answers[-1] == want_new
    switch = answers.index(want_new)
    assert all(a == want_new for a in answers[switch:]), "old version answered after the new one"
    # status: new version AVAILABLE first, old one END with OK status
    status = requests.get(f"{srv.rest_url}/v1/models/lc", timeout=10).json()["model_version_status"]
    versions = [int(v["version"]) for v in status]
    assert versions == sorted(versions, reverse=True)
    assert status[0]["state"] == AVAILABLE
    ended = rest_status(srv, "lc")[current]
    assert ended["status"] == {"error_code": "OK", "error_message": ""}


def test_broken_version_error_state(polled, lc_answers):
    # source: tensorflow_serving/core/loader_harness.cc (failed load -> END with the error in
    # status), model_servers/get_model_status_impl.cc / util/status_util.cc (error_code name +
    # message), core/availability_preserving_policy.cc (the ready version keeps serving while no
    # aspired version is ready)
    srv, base = polled
    good = max(v for v, s in rest_status(srv, "lc").items() if s["state"] == AVAILABLE)
    answer = {"predictions": [[lc_answers[good]]]}  # from the files, not from the server
    broken = max(rest_status(srv, "lc")) + 1
    models.write_broken(base, broken)
    try:
        wait_until(lambda: rest_status(srv, "lc").get(broken, {}).get("state") == "END", 60,
                   what=f"broken version {broken} to end")
        st = rest_status(srv, "lc")[broken]
        assert st["status"]["error_code"] != "OK"
        assert st["status"]["error_message"]
        assert "Traceback" not in st["status"]["error_message"]
        # latest still resolves to the good version
        r = rest_predict(srv, "lc", 2.0)
        assert r.status_code == 200 and r.json() == answer
        assert rest_status(srv, "lc")[good]["state"] == AVAILABLE
        # the broken version cannot be addressed
        r = rest_predict(srv, "lc", 2.0, f"/versions/{broken}")
        assert r.status_code == 404
        assert r.json() == {"error": f"Servable not found for request: Specific(lc, {broken})"}
    finally:
        shutil.rmtree(base / str(broken))


# ---------------------------------------------------------------------------------------------
# Config file + gRPC HandleReloadConfigRequest
# ---------------------------------------------------------------------------------------------
def _config_proto(entries):
    from google.protobuf import text_format
    from tensorflow_serving.config import model_server_config_pb2

    return text_format.Parse(models.models_config_text(entries), model_server_config_pb2.ModelServerConfig())


def _reload(stub, entries, timeout=60):
    from tensorflow_serving.apis import model_management_pb2

    req = model_management_pb2.ReloadConfigRequest()
    req.config.CopyFrom(_config_proto(entries))
    return stub.HandleReloadConfigRequest(req, timeout=timeout)


@pytest.fixture(scope="module")
def reloadable(lifecycle_servers):
    return lifecycle_servers["reload"]


def test_specific_version_policy(reloadable):
    # source: tensorflow_serving/config/file_system_storage_path_source.proto (specific policy);
    # sources/storage_path/file_system_storage_path_source.cc; server_core.cc (latest = highest
    # available)
    srv, base, _ = reloadable
    wait_until(lambda: {v for v, s in rest_status(srv, "m").items() if s["state"] == AVAILABLE} == {1, 2},
               60, what="versions 1 and 2 available")
    assert 3 not in rest_status(srv, "m")
    r = rest_predict(srv, "m", 2.0, "/versions/3")
    assert r.status_code == 404
    assert r.json() == {"error": "Servable not found for request: Specific(m, 3)"}
    assert rest_predict(srv, "m", 2.0).json() == {"predictions": [[4.0]]}  # version 2
    assert rest_predict(srv, "m", 2.0, "/versions/1").json() == {"predictions": [[3.0]]}


def test_reload_config_policy_labels_and_models(reloadable, model_stub_for, prediction_stub_for, model_sources):
    # source: tensorflow_serving/model_servers/model_service_impl.cc HandleReloadConfigRequest,
    # server_core.cc ReloadConfig / UpdateModelVersionLabelMap (a label must point at an AVAILABLE
    # version: FAILED_PRECONDITION otherwise), model_servers/tensorflow_model_server_test.py
    # testModelConfigReload
    srv, base, entries = reloadable
    stub = model_stub_for(srv)
    pstub = prediction_stub_for(srv)
    m_all = {"name": "m", "base_path": str(base), "policy": "all"}

    # 1. policy all: version 3 gets loaded on the next file-system poll
    resp = _reload(stub, [m_all])
    assert resp.status.error_code == 0
    wait_until(lambda: rest_status(srv, "m").get(3, {}).get("state") == AVAILABLE, 60,
               what="version 3 available")
    assert rest_predict(srv, "m", 2.0).json() == {"predictions": [[5.0]]}

    # 2. labels to available versions
    _reload(stub, [dict(m_all, labels={"stable": 1, "canary": 3})])
    assert rest_predict(srv, "m", 2.0, "/labels/stable").json() == {"predictions": [[3.0]]}
    assert rest_predict(srv, "m", 2.0, "/labels/canary").json() == {"predictions": [[5.0]]}
    req = predict_request("m", {"x": np.array([[2.0]], np.float32)}, label="canary")
    resp = pstub.Predict(req, timeout=30)
    assert resp.model_spec.version.value == 3
    np.testing.assert_array_equal(to_ndarray(resp.outputs["y"]), [[5.0]])

    # 3. a label to a version that is not available is refused; the old labels stay
    exc = None
    try:
        _reload(stub, [dict(m_all, labels={"stable": 1, "canary": 9})])
    except grpc.RpcError as e:
        exc = e
    assert exc is not None, "reload with a label to an unavailable version succeeded"
    assert exc.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert exc.details() == ("Request to assign label to version 9 of model m, which is not "
                             "currently available for inference")

    # 4. adding a model: the reload returns once it is available
    other = {"name": "other", "base_path": str(model_sources["plus2"].parent)}
    resp = _reload(stub, [dict(m_all, labels={"stable": 1, "canary": 3}), other])
    assert resp.status.error_code == 0
    assert rest_predict(srv, "other", 2.0).json() == {"predictions": [[3.0]]}

    # 5. removing it: unloaded (state END, OK status), then NOT_FOUND for inference
    _reload(stub, [dict(m_all, labels={"stable": 1, "canary": 3})])
    wait_until(lambda: rest_status(srv, "other").get(1, {}).get("state") == "END", 60,
               what="model 'other' unloaded")
    assert rest_status(srv, "other")[1]["status"] == {"error_code": "OK", "error_message": ""}
    r = rest_predict(srv, "other", 2.0)
    assert r.status_code == 404
    assert r.json() == {"error": "Servable not found for request: Latest(other)"}


def test_reload_config_rejections(reloadable, model_stub_for):
    # source: tensorflow_serving/model_servers/server_core.cc ValidateModelConfigList
    # (relative paths, duplicate names), model_servers/model_service_impl.cc (only
    # model_config_list is supported)
    from tensorflow_serving.apis import model_management_pb2

    srv, base, _ = reloadable
    stub = model_stub_for(srv)
    req = model_management_pb2.ReloadConfigRequest()
    req.config.CopyFrom(_config_proto([{"name": "rel", "base_path": "relative/path"}]))
    assert_rpc_error(stub.HandleReloadConfigRequest, req, grpc.StatusCode.INVALID_ARGUMENT,
                     "Expected model rel to have an absolute path or URI; got base_path()=relative/path")
    req.config.CopyFrom(_config_proto([{"name": "m", "base_path": str(base)}] * 2))
    assert_rpc_error(stub.HandleReloadConfigRequest, req, grpc.StatusCode.INVALID_ARGUMENT,
                     "Illegal to list model m multiple times in config list")
    req = model_management_pb2.ReloadConfigRequest()
    req.config.custom_model_config.type_url = "type.googleapis.com/x"
    assert_rpc_error(
        stub.HandleReloadConfigRequest, req, grpc.StatusCode.INVALID_ARGUMENT,
        "ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList "
        "is currently supported",
    )
    # still serving
    assert rest_predict(srv, "m", 2.0, "/versions/1").json() == {"predictions": [[3.0]]}


# ---------------------------------------------------------------------------------------------
# --model_config_file_poll_wait_seconds
# ---------------------------------------------------------------------------------------------
def test_config_file_polling_adds_model(lifecycle_servers, model_sources):
    # source: tensorflow_serving/model_servers/server.cc PollFilesystemAndReloadConfig (re-reads the
    # file every --model_config_file_poll_wait_seconds and calls ReloadConfig; read errors are
    # only logged: "Failed to read ModelServerConfig file"); tensorflow_model_server_test.py
    # testModelConfigReload
    srv, cfg, a = lifecycle_servers["config_poll"]
    b = {"name": "b", "base_path": str(model_sources["plus3"].parent)}
    assert rest_status(srv, "b") == {}
    tmp = cfg.with_suffix(".tmp")
    tmp.write_text(models.models_config_text([a, b]))
    tmp.replace(cfg)
    wait_until(lambda: rest_status(srv, "b").get(1, {}).get("state") == AVAILABLE, 60,
               what="model b available after the config file changed")
    assert rest_predict(srv, "b", 2.0).json() == {"predictions": [[4.0]]}
    assert rest_predict(srv, "a", 2.0).json() == {"predictions": [[3.0]]}
    # a broken file is only logged; the server keeps its config
    cfg.write_text("this is not a config")
    srv.wait_log("Failed to read ModelServerConfig file")
    assert rest_predict(srv, "b", 2.0).json() == {"predictions": [[4.0]]}

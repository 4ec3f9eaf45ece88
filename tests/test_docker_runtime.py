"""The deployment files' runtime behaviour, run where this machine can run it, each with the
counter-run that shows the check fails without the fix:

* nginx (the real binary, docker/'s template) keeps a replica that shed one request (503) in
  rotation; with `http_503` in proxy_next_upstream it ejects it;
* nginx's gRPC error answer is `:status 200` + grpc-status 14 (retryable for grpc-go too);
* docker/bin/tfs-entrypoint.sh, run as PID 1 the way the image runs it, stops on SIGTERM well
  inside the grace period and the call in flight is answered; the official image's entrypoint
  ignores SIGTERM, and stopping without the drain loses the call;
* docker/bin/tfs-ready.sh refuses a model whose versions are LOADING (an HTTP 200 check accepts it).

What cannot run here (a cluster, grpc-go, the official image) is on docs/scaling-out.md with the
command that checks it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.gate.requirements import missing

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
TEMPLATE = DOCKER / "nginx/templates/tfs.conf.template"
ENTRYPOINT = DOCKER / "bin/tfs-entrypoint.sh"
READY = DOCKER / "bin/tfs-ready.sh"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ----------------------------------------------------------------------------------------------
# Stub upstreams: answer status JSON or predictions from a script of status codes
# ----------------------------------------------------------------------------------------------
class _Stub:
    """An HTTP/1.1 server on a free port that answers each request with the next status of
    `script` (then `then` for ever) and a JSON body; `hits` counts the requests it got."""

    def __init__(self, script=(), then=200, body=b'{"predictions": [1.0]}'):
        self.script, self.then, self.body, self.hits = list(script), then, body, 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as nginx's upstream keepalive expects

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                stub.hits += 1
                status = stub.script.pop(0) if stub.script else stub.then
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(stub.body)))
                self.end_headers()
                self.wfile.write(stub.body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stubs():
    made = []

    def make(*args, **kwargs):
        made.append(_Stub(*args, **kwargs))
        return made[-1]

    yield make
    for stub in made:
        stub.close()


# ----------------------------------------------------------------------------------------------
# nginx with docker/'s template
# ----------------------------------------------------------------------------------------------
def _nginx() -> str:
    reason = missing("requires_nginx")
    if reason:
        pytest.skip(reason)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _render(servers: str, tmp_path: Path, edit=lambda conf: conf) -> tuple[int, int]:
    """docker/'s template with `servers` as both upstreams, as snippets/scaling-out/cluster.py renders
    it; `edit` changes the rendered text (the counter-runs put the unfixed directive back)."""
    spec = importlib.util.spec_from_file_location("scaling_cluster", REPO / "snippets/scaling-out/cluster.py")
    cluster = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cluster)
    rest, grpc = _free_port(), _free_port()
    conf = cluster.render_nginx(TEMPLATE.read_text(), {
        "TFS_REST_SERVERS": servers, "TFS_GRPC_SERVERS": servers,
        "TFS_REST_LISTEN": f"127.0.0.1:{rest}", "TFS_GRPC_LISTEN": f"127.0.0.1:{grpc}",
        "TFS_ACCESS_LOG": tmp_path / "access.log"})
    edited = edit(conf)
    (tmp_path / "tfs.conf").write_text(edited)
    (tmp_path / "nginx.conf").write_text(cluster.NGINX_MAIN.format(d=tmp_path))
    return rest, grpc


@pytest.fixture
def nginx(tmp_path):
    binary = _nginx()
    started = []

    def start(servers: str, edit=lambda conf: conf) -> tuple[int, int]:
        rest, grpc = _render(servers, tmp_path, edit)
        process = subprocess.Popen([binary, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
                                    "-c", str(tmp_path / "nginx.conf")], stdin=subprocess.DEVNULL)
        started.append(process)
        _wait(lambda: _port_open(rest) and _port_open(grpc) or process.poll() is not None, 10, "nginx start")
        assert process.poll() is None, (tmp_path / "error.log").read_text()
        return rest, grpc

    yield start
    for process in started:
        _stop(process)


def _share_after_one_503(nginx, stubs, edit=lambda conf: conf) -> tuple[int, int]:
    """Two replicas; one answers its first request 503 (a full batch queue), then 200. Returns
    the status the client got for that request and how many of the next 10 reach that replica."""
    import requests

    shedding, other = stubs(script=[503]), stubs()
    rest, _ = nginx(f"server 127.0.0.1:{shedding.port}; server 127.0.0.1:{other.port};", edit)
    url = f"http://127.0.0.1:{rest}/v1/models/digits:predict"
    statuses = []
    while shedding.hits == 0:  # round robin: within two calls
        statuses.append(requests.post(url, json={"instances": [1.0]}, timeout=10).status_code)
        assert len(statuses) <= 3, statuses
    before = shedding.hits
    for _ in range(10):
        assert requests.post(url, json={"instances": [1.0]}, timeout=10).status_code == 200
    return statuses[-1], shedding.hits - before


def test_nginx_keeps_a_replica_that_shed_one_request_in_rotation(nginx, stubs):
    status, share = _share_after_one_503(nginx, stubs)
    # The 503 reaches the client (its retry policy backs off), and the replica keeps its share.
    assert status == 503
    assert share == 5


def test_nginx_with_http_503_in_next_upstream_ejects_the_replica(nginx, stubs):
    """The counter-run: the directive as it was before the fix."""
    def unfixed(conf):
        fixed = "proxy_next_upstream error timeout http_502 non_idempotent;"
        assert fixed in conf
        return conf.replace(fixed, "proxy_next_upstream error timeout http_502 http_503 http_504 non_idempotent;")

    status, share = _share_after_one_503(nginx, stubs, unfixed)
    assert status == 200  # retried on the other replica...
    assert share == 0  # ...and the shedding one is out for fail_timeout (10 s)


def _grpc_error_status(nginx, edit=lambda conf: conf) -> tuple[str, dict]:
    """The HTTP/2 status line and headers nginx answers a gRPC call with when no replica is up
    (curl speaks h2c; grpc-go's check is on this status: nginx/kubernetes-ingress#2229)."""
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    _, grpc = nginx(f"server 127.0.0.1:{_free_port()};", edit)
    out = subprocess.run(["curl", "-sS", "-i", "--http2-prior-knowledge", "-X", "POST",
                          "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "",
                          f"http://127.0.0.1:{grpc}/tensorflow.serving.PredictionService/Predict"],
                         capture_output=True, text=True, timeout=30)
    lines = out.stdout.replace("\r", "").splitlines()
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return lines[0].strip(), headers


def test_nginx_grpc_error_is_status_200_with_grpc_status_14(nginx):
    status, headers = _grpc_error_status(nginx)
    assert status == "HTTP/2 200"
    assert headers["grpc-status"] == "14" and headers["content-type"] == "application/grpc"
    # No body: nginx then ends the stream on the HEADERS frame, a Trailers-Only response.
    assert headers["content-length"] == "0"


def test_grpc_error_check_sees_the_old_204(nginx):
    status, headers = _grpc_error_status(nginx, lambda conf: conf.replace("return 200;", "return 204;"))
    assert status == "HTTP/2 204" and headers["grpc-status"] == "14"


# ----------------------------------------------------------------------------------------------
# SIGTERM through the entrypoint, as PID 1 of its own PID namespace (as in a container)
# ----------------------------------------------------------------------------------------------
# The image's own entrypoint (tools/docker/Dockerfile of tensorflow/serving 2.20.0 and 2.21.0
# builds it with `echo`): bash, and no `exec`.
OFFICIAL_ENTRYPOINT = """#!/bin/bash
tensorflow_model_server --port=8500 --rest_api_port=8501 \\
--model_name=${MODEL_NAME} --model_base_path=${MODEL_BASE_PATH}/${MODEL_NAME} "$@"
"""
# tensorflow_model_server installs no SIGTERM handler (model_servers/main.cc): SIGTERM ends it at
# once. The compatible server installs one to stop cleanly; this stand-in removes it, so it dies
# on SIGTERM as TF Serving does.
FAKE_SERVER = """#!/bin/bash
exec "{python}" -c '
import runpy, signal, sys
install = signal.signal
signal.signal = lambda sig, handler: None if sig == signal.SIGTERM else install(sig, handler)
sys.argv[0] = "tensorflow_model_server"
runpy.run_module("tfs_compat", run_name="__main__")
' "$@"
"""
GRACE_S = 10  # the grace period the test gives (Kubernetes' default is 30 s, compose's 10 s)
DRAIN_S = 3
# A batch waits this long for company: a lone call stays in flight that long, deterministically.
CALL_S = 1.5


def _pid_namespace_works() -> str | None:
    if not shutil.which("unshare"):
        return "unshare (util-linux) is not installed"
    out = subprocess.run(["unshare", "--user", "--map-root-user", "--pid", "--fork", "sh", "-c", "echo $$"],
                         capture_output=True, text=True, timeout=10)
    if out.returncode or out.stdout.strip() != "1":
        return f"no unprivileged PID namespace here ({out.stderr.strip()[:200]})"
    return None


@pytest.fixture
def served_model(tmp_path):
    from tests.tfs_compat import models  # the conformance suite's SavedModel writer

    models.write_half_plus_two(tmp_path / "models" / "digits", 1)
    (tmp_path / "batching.config").write_text(
        f"max_batch_size {{ value: 64 }}\nbatch_timeout_micros {{ value: {int(CALL_S * 1e6)} }}\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "tensorflow_model_server"
    fake.write_text(FAKE_SERVER.format(python=sys.executable))
    fake.chmod(0o755)
    return tmp_path


def _run_as_pid1(entrypoint: Path, served: Path, drain_s: float):
    """Start `entrypoint` as PID 1 of a new PID namespace, serving the test model over gRPC (REST
    off: --rest_api_port=0); returns the unshare process, the entrypoint's PID as seen from
    here, and the gRPC port."""
    reason = _pid_namespace_works()
    if reason:
        pytest.skip(reason)
    grpc_port = _free_port()
    env = {**os.environ, "PATH": f"{served / 'bin'}:{os.environ['PATH']}", "PYTHONPATH": str(REPO),
           "MODEL_NAME": "digits", "MODEL_BASE_PATH": str(served / "models"), "TFS_DRAIN_SECONDS": str(drain_s)}
    log = served / f"{entrypoint.name}.log"
    process = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--kill-child", "bash", str(entrypoint),
         f"--port={grpc_port}", "--rest_api_port=0", "--enable_batching=true",
         f"--batching_parameters_file={served / 'batching.config'}"],
        cwd=REPO, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    _wait(lambda: _children(process.pid) or process.poll() is not None, 10, "unshare's child")
    [pid1] = _children(process.pid)

    def ready():
        assert process.poll() is None, log.read_text()[-3000:]
        return _port_open(grpc_port)

    _wait(ready, 120, "the server behind the entrypoint")
    return process, pid1, grpc_port


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]
    except OSError:
        return []


def _predict(grpc_port: int):
    """One Predict call of the test model; returns "OK" or the gRPC status code it failed with."""
    import grpc
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    request = predict_pb2.PredictRequest()
    request.model_spec.name = "digits"
    request.inputs["x"].dtype = 1  # DT_FLOAT
    request.inputs["x"].tensor_shape.dim.add().size = 1  # shape (1, 1): one row of one float
    request.inputs["x"].tensor_shape.dim.add().size = 1
    request.inputs["x"].float_val.append(1.0)
    with grpc.insecure_channel(f"127.0.0.1:{grpc_port}") as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            stub.Predict(request, timeout=30, wait_for_ready=True)
            return "OK"
        except grpc.RpcError as error:
            return error.code().name


def _stop_during_a_call(entrypoint: Path, served: Path, drain_s: float,
                        wait_s: float = GRACE_S) -> tuple[float | None, str]:
    """One call in flight (it waits CALL_S in the batch queue), SIGTERM to PID 1 meanwhile.
    Returns the seconds until the container's PID 1 exited (None: still running after wait_s)
    and the call's outcome ("OK" or its gRPC status)."""
    process, pid1, grpc_port = _run_as_pid1(entrypoint, served, drain_s)
    assert _predict(grpc_port) == "OK"  # warm: the model answers
    outcome = {}
    try:
        caller = threading.Thread(target=lambda: outcome.setdefault("result", _predict(grpc_port)))
        caller.start()
        time.sleep(CALL_S / 3)  # the call is queued, waiting for its batch
        sent = time.monotonic()
        os.kill(pid1, signal.SIGTERM)
        try:
            process.wait(timeout=wait_s)
            took = time.monotonic() - sent
        except subprocess.TimeoutExpired:
            took = None
        caller.join(timeout=30)
        return took, outcome.get("result")
    finally:
        _stop(process)  # --kill-child: the namespace goes with it


@pytest.mark.slow
def test_entrypoint_stops_on_sigterm_inside_the_grace_period_and_answers_the_call(served_model):
    took, result = _stop_during_a_call(ENTRYPOINT, served_model, DRAIN_S)
    assert result == "OK"
    assert took is not None and DRAIN_S <= took < GRACE_S / 2, took


@pytest.mark.slow
def test_official_entrypoint_ignores_sigterm_as_pid1(served_model):
    """The counter-run for the stop: bash as PID 1 without a handler never sees the SIGTERM."""
    official = served_model / "tf_serving_entrypoint.sh"
    official.write_text(OFFICIAL_ENTRYPOINT)
    # Still running when the entrypoint above must have exited (GRACE_S / 2): the runtime would
    # SIGKILL it at the end of the grace period.
    took, result = _stop_during_a_call(official, served_model, DRAIN_S, wait_s=GRACE_S / 2)
    assert took is None
    assert result == "OK"


@pytest.mark.slow
def test_stopping_without_the_drain_loses_the_call(served_model):
    """The counter-run for the drain: forward SIGTERM at once and the queued call is lost."""
    took, result = _stop_during_a_call(ENTRYPOINT, served_model, 0)
    assert took is not None and took < CALL_S
    assert result != "OK", result


# ----------------------------------------------------------------------------------------------
# The readiness check
# ----------------------------------------------------------------------------------------------
def _status(*states: str) -> bytes:
    return json.dumps({"model_version_status": [
        {"version": str(v), "state": s, "status": {"error_code": "OK", "error_message": ""}}
        for v, s in enumerate(states, 1)]}, indent=1).encode()


def _ready(port: int, *models: str) -> int:
    return subprocess.run(["bash", str(READY), *models], env={**os.environ, "TFS_REST_PORT": str(port)},
                          capture_output=True, timeout=10).returncode


@pytest.mark.parametrize("states, ready", [
    (("AVAILABLE",), True),
    (("LOADING",), False),
    (("END", "LOADING"), False),
    (("AVAILABLE", "LOADING"), True),  # version 1 serves while version 2 loads
    (("UNLOADING",), False),
])
def test_readiness_check_wants_an_available_version(stubs, states, ready):
    stub = stubs(body=_status(*states))
    assert (_ready(stub.port, "digits") == 0) is ready


def test_readiness_check_refuses_an_error_answer_and_a_closed_port(stubs):
    stub = stubs(then=404, body=b'{"error": "Servable not found for request: Latest(digits)"}')
    assert _ready(stub.port, "digits") != 0
    assert _ready(_free_port(), "digits") != 0
    assert subprocess.run(["bash", str(READY)], capture_output=True, timeout=10).returncode == 2


def test_a_status_code_probe_would_accept_a_loading_model(stubs):
    """The counter-run: what the httpGet probe checked (a 2xx answer) passes for LOADING."""
    import requests

    stub = stubs(body=_status("LOADING"))
    assert requests.get(f"http://127.0.0.1:{stub.port}/v1/models/digits", timeout=5).ok
    assert _ready(stub.port, "digits") != 0


def test_readiness_scripts_are_what_the_deployment_files_run():
    import yaml

    deployment = next(d for d in yaml.safe_load_all((DOCKER / "k8s/deployment.yaml").read_text())
                      if d["kind"] == "Deployment")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    for probe in ("readinessProbe", "startupProbe"):
        assert container[probe]["exec"]["command"][0] == "/usr/local/bin/tfs-ready"
    assert re.search(r"COPY docker/bin/tfs-ready.sh /usr/local/bin/tfs-ready", (DOCKER / "Dockerfile").read_text())

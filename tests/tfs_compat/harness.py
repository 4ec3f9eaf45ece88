"""Server process harness and assertion helpers for the conformance suite (see conftest.py)."""


from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tfs_compat import launcher


EXTERNAL_REST = os.environ.get("TF_SERVING_REST_URL")
EXTERNAL_GRPC = os.environ.get("TF_SERVING_GRPC_TARGET")
EXTERNAL = bool(EXTERNAL_REST and EXTERNAL_GRPC)
NEEDS_OWN_SERVER = "needs its own server flags"

# Generous: the server imports TensorFlow (~10 s on 2 cores) and loads several models.
START_TIMEOUT = float(os.environ.get("TFS_TEST_START_TIMEOUT", "180"))
STOP_TIMEOUT = 15.0
RPC_TIMEOUT = 30.0

_LIVE_SERVERS: list["ServerProcess"] = []


free_port = launcher.free_port


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Polls ``predicate()`` until truthy or ``timeout`` seconds pass; returns its value."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # noqa: BLE001 - keep polling, report the last one
            last_exc = exc
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}; last error: {last_exc!r}")
        time.sleep(interval)


@dataclass
class ServerProcess:
    """One ``python -m tfs_compat`` process (``tfs_compat.launcher.Server``), or an external server."""

    args: list[str]
    log_path: Path
    grpc_port: int | None = None
    rest_port: int | None = None
    proc: subprocess.Popen | None = None
    external: bool = False
    rest_url: str | None = None
    grpc_target: str | None = None
    server: launcher.Server | None = field(default=None, repr=False)

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "ServerProcess":
        # Through the package's launcher, from the log's directory: the server runs from any
        # working directory.
        env = {"TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "1")}
        self.server = launcher.Server(self.args, log_path=self.log_path, env=env, cwd=self.log_path.parent)
        self.proc = self.server.start().process
        _LIVE_SERVERS.append(self)
        return self

    def stop(self, sig=signal.SIGTERM) -> int | None:
        """Sends ``sig`` to the server's process group, waits up to STOP_TIMEOUT, then kills;
        returns the exit code."""
        if self.server is None:
            return None
        rc = self.server.stop(sig, timeout=STOP_TIMEOUT)
        if self in _LIVE_SERVERS:
            _LIVE_SERVERS.remove(self)
        return rc

    def wait_exit(self, timeout: float = START_TIMEOUT) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"server did not exit within {timeout}s\n{self.log_tail()}")

    # -- readiness ---------------------------------------------------------------------------
    def wait_ready(self, model_names, timeout: float = START_TIMEOUT) -> "ServerProcess":
        """Waits until every model reports an AVAILABLE version (the model status API).

        TF Serving opens its ports only after the configured models are loaded
        (tensorflow_serving/model_servers/server.cc BuildAndStart), so this is also the
        moment the ports start answering.
        """
        if self.external:  # the launcher polls 127.0.0.1; an external server may be elsewhere
            return self._wait_external(list(model_names), timeout)
        try:
            self.server.wait_available(list(model_names), timeout=timeout)
        except (launcher.ServerExited, TimeoutError) as exc:
            pytest.fail(str(exc))
        return self

    def _wait_external(self, model_names, timeout):
        def all_available():
            return all(any(s["state"] == "AVAILABLE" for s in requests.get(
                f"{self.rest_url}/v1/models/{name}", timeout=2).json()["model_version_status"])
                for name in model_names)

        wait_until(all_available, timeout, what=f"models {model_names} on {self.rest_url}")
        return self

    def wait_log(self, text: str, timeout: float = START_TIMEOUT) -> str:
        """Waits until ``text`` appears in the captured output; returns the output."""

        def found():
            log = self.log()
            if text in log:
                return log
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail(f"server exited ({self.proc.returncode}) before logging {text!r}\n{self.log_tail()}")
            return None

        try:
            return wait_until(found, timeout, what=f"log text {text!r}")
        except TimeoutError:
            pytest.fail(f"{text!r} not logged within {timeout}s\n{self.log_tail()}")

    def log(self) -> str:
        if self.external:
            return ""
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, n: int = 80) -> str:
        lines = self.log().splitlines()
        return f"--- server log {self.log_path} (last {min(n, len(lines))} lines) ---\n" + "\n".join(lines[-n:])


def make_server(tmp_dir: Path, args: list[str], *, grpc: bool = True, rest: bool = True,
                name: str = "server") -> ServerProcess:
    """Builds (does not start) a server with fresh ports prepended to ``args``."""
    grpc_port = free_port() if grpc else None
    rest_port = free_port() if rest else None
    while rest_port is not None and rest_port == grpc_port:
        rest_port = free_port()
    full = []
    if grpc_port:
        full.append(f"--port={grpc_port}")
    if rest_port:
        full.append(f"--rest_api_port={rest_port}")
    full += args
    tmp_dir.mkdir(parents=True, exist_ok=True)
    log_path = tmp_dir / f"{name}-{grpc_port or rest_port or 'x'}.log"
    return ServerProcess(
        args=full,
        log_path=log_path,
        grpc_port=grpc_port,
        rest_port=rest_port,
        rest_url=f"http://127.0.0.1:{rest_port}" if rest_port else None,
        grpc_target=f"127.0.0.1:{grpc_port}" if grpc_port else None,
    )


class ServerPool:
    """Starts servers and stops all of them on ``close()``."""

    def __init__(self, tmp_dir: Path):
        self.tmp_dir = tmp_dir
        self.servers: list[ServerProcess] = []

    def start(self, args: list[str], *, models=(), grpc=True, rest=True, name="server",
              ready=True, timeout: float = START_TIMEOUT) -> ServerProcess:
        if EXTERNAL:
            pytest.skip(NEEDS_OWN_SERVER)
        srv = make_server(self.tmp_dir, args, grpc=grpc, rest=rest, name=name)
        self.servers.append(srv)
        srv.start()
        if ready and models:
            srv.wait_ready(list(models), timeout=timeout)
        return srv

    def close(self):
        for srv in self.servers:
            srv.stop()


# ------------------------------------------------------------------------------------------
# Small helpers shared by test modules
# ------------------------------------------------------------------------------------------
def assert_json_error(resp, status: int, message: str | None = None, *, contains: str | None = None):
    """TF Serving's REST error: HTTP ``status``, JSON ``{"error": msg}`` and nothing else.

    source: tensorflow_serving/util/json_tensor.cc MakeJsonFromStatus,
    tensorflow_serving/model_servers/http_server.cc ToHTTPStatusCode.
    """
    body = resp.text
    short = body if len(body) < 2000 else body[:2000] + f"... ({len(body)} chars)"
    assert "Traceback" not in body, short
    assert resp.status_code == status, f"HTTP {resp.status_code} (want {status}): {short}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), resp.headers
    doc = json.loads(body)
    assert list(doc) == ["error"], doc
    if message is not None:
        assert doc["error"] == message
    if contains is not None:
        assert contains in doc["error"], doc["error"]
    return doc["error"]


def tensor_proto(value, dtype=None):
    """numpy/list -> TensorProto (typed ``*_val`` fields as TF Serving's clients send)."""
    import tensorflow as tf  # noqa: PLC0415

    return tf.make_tensor_proto(value, dtype=dtype)


def to_ndarray(proto):
    import tensorflow as tf  # noqa: PLC0415

    return tf.make_ndarray(proto)


def model_spec(msg_spec, name, *, version=None, label=None, signature=None):
    """Fills a ``tensorflow.serving.ModelSpec`` (apis/model.proto)."""
    msg_spec.name = name
    if version is not None:
        msg_spec.version.value = version
    if label is not None:
        msg_spec.version_label = label
    if signature is not None:
        msg_spec.signature_name = signature
    return msg_spec


def predict_request(name, inputs: dict, *, version=None, label=None, signature=None,
                    output_filter=(), dtypes=None):
    from tensorflow_serving.apis import predict_pb2  # noqa: PLC0415

    req = predict_pb2.PredictRequest()
    model_spec(req.model_spec, name, version=version, label=label, signature=signature)
    for key, value in inputs.items():
        req.inputs[key].CopyFrom(tensor_proto(value, (dtypes or {}).get(key)))
    req.output_filter.extend(output_filter)
    return req


def example_input(msg_input, examples: list[dict], context: dict | None = None):
    """Fills a ``tensorflow.serving.Input`` with tf.Example float features (apis/input.proto)."""

    def fill(ex, feats):
        for key, values in feats.items():
            values = values if isinstance(values, (list, tuple)) else [values]
            ex.features.feature[key].float_list.value.extend(values)

    if context is None:
        for feats in examples:
            fill(msg_input.example_list.examples.add(), feats)
    else:
        fill(msg_input.example_list_with_context.context, context)
        for feats in examples:
            fill(msg_input.example_list_with_context.examples.add(), feats)


def rpc_error(call, *args, **kwargs):
    """Runs a stub call that must fail; returns the ``grpc.RpcError``."""
    import grpc  # noqa: PLC0415

    try:
        call(*args, **kwargs)
    except grpc.RpcError as exc:
        return exc
    raise AssertionError("RPC succeeded but an error was expected")


def assert_rpc_error(call, request, code, message=None, *, contains=None, timeout=30.0):
    """The RPC fails with gRPC ``code`` and (optionally) exactly ``message``."""
    exc = rpc_error(call, request, timeout=timeout)
    assert exc.code() == code, f"{exc.code()} (want {code}): {exc.details()}"
    assert "Traceback" not in (exc.details() or "")
    if message is not None:
        assert exc.details() == message
    if contains is not None:
        assert contains in exc.details(), exc.details()
    return exc.details()

"""Start the compatible server as TF Serving is started, wait until it serves, stop it.

The one way every user of the server (the docs gate, the conformance suite, the Docker asset
tests, ``nox -s bench``, the multi-instance page) starts it:

- from flags: ``Server(["--port=8500", "--rest_api_port=8501", "--model_config_file=..."])``;
- from what a reader types for the official image: ``parse_docker_run(code, cwd)`` reads a
  ``docker run ... tensorflow/serving ...`` command, ``compose_service(file, name)`` a compose
  service; ``Server.from_container(run, workdir)`` then starts the server as the image's
  entrypoint would (``docker_entrypoint.py``: ``MODEL_NAME``, ``MODEL_BASE_PATH``), with host
  ports in place of container ports and bind-mounted host paths in place of container paths.

``start()`` runs ``python -m tfs_compat`` in a process group of its own, from any working
directory; ``wait_available()`` polls the model status API until every configured model has an
AVAILABLE version (bounded; the server's log tail is in the error); ``stop()`` ends the process
group (SIGTERM, a bounded wait, then SIGKILL), also on exit through the context manager.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

PACKAGE_PARENT = Path(__file__).resolve().parents[1]  # puts `tfs_compat` on the child's path
READY_TIMEOUT_S = 180.0  # the server imports TensorFlow (~10 s on 2 cores), then loads models
STOP_TIMEOUT_S = 20.0
# The official image (tools/docker/Dockerfile in tensorflow/serving): its entrypoint's defaults
# and the ports it serves on inside the container.
IMAGE_DEFAULT_ENV = {"MODEL_BASE_PATH": "/models", "MODEL_NAME": "model"}
GRPC_CONTAINER_PORT, REST_CONTAINER_PORT = 8500, 8501
# Flags whose value is a file or directory: container paths to map to host paths.
PATH_FLAGS = ("model_base_path", "model_config_file", "batching_parameters_file",
              "monitoring_config_file", "ssl_config_file", "platform_config_file")


class ServerExited(RuntimeError):
    """The server process ended before it was ready."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (bind port 0, read it, close)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------------------------
# From a container definition to flags with host paths
# ---------------------------------------------------------------------------------------------
@dataclass
class Container:
    """What ``docker run`` or a compose service gives the official image."""

    name: str | None = None
    ports: dict[int, int] = field(default_factory=dict)  # container port -> host port
    mounts: dict[str, str] = field(default_factory=dict)  # container path -> host path
    env: dict[str, str] = field(default_factory=dict)
    image: str = ""
    args: list[str] = field(default_factory=list)  # the server flags after the image

    def host_path(self, container_path: str) -> str:
        # The longest mount target that contains the path wins, as in the container.
        for target in sorted(self.mounts, key=len, reverse=True):
            if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
                return self.mounts[target] + container_path[len(target):]
        raise ValueError(f"{container_path} is not inside any bind mount of the container")

    def entrypoint_env(self) -> dict[str, str]:
        """MODEL_NAME and MODEL_BASE_PATH as the image's entrypoint reads them, on the host."""
        env = {**IMAGE_DEFAULT_ENV, **{k: v for k, v in self.env.items() if k in IMAGE_DEFAULT_ENV}}
        try:
            env["MODEL_BASE_PATH"] = self.host_path(env["MODEL_BASE_PATH"])
        except ValueError:
            # Unused when a --model_config_file names the models; TF Serving then ignores it.
            if not any(a.startswith("--model_config_file=") for a in self.args):
                raise
        return env

    def host_flags(self, workdir: Path, ports: dict[int, int] | None = None) -> list[str]:
        """The container's server flags with host paths, then the host ports (later flags win).

        ``ports`` (container -> host) replaces the published ports; a port that is not
        published is unreachable from the host, as in Docker: REST off, gRPC on a free port
        (the server needs one). A models.config is copied into ``workdir`` with its base paths
        mapped (see ``host_config``)."""
        ports = self.ports if ports is None else ports
        flags = []
        for arg in self.args:
            match = re.fullmatch(r"--([A-Za-z0-9_]+)(?:=(.*))?", arg, flags=re.S)
            if not match:
                raise ValueError(f"unsupported server argument {arg!r}: use --name=value")
            key, value = match.group(1), match.group(2) if match.group(2) is not None else "true"
            if key in PATH_FLAGS and value:
                value = self.host_path(value)
                if key == "model_config_file":
                    value = str(host_config(self, Path(value), workdir))
            flags.append(f"--{key}={value}")
        flags.append(f"--port={ports.get(GRPC_CONTAINER_PORT) or free_port()}")
        flags.append(f"--rest_api_port={ports.get(REST_CONTAINER_PORT, 0)}")
        return flags


def host_config(container: Container, config: Path, workdir: Path) -> Path:
    """A copy of the host file ``config`` (a models.config) whose container base paths are the
    bind-mounted host paths; replaced atomically, so a polling server never reads half of it."""
    text = re.sub(r'(base_path\s*:\s*")([^"]+)(")',
                  lambda m: m.group(1) + container.host_path(m.group(2)) + m.group(3), config.read_text())
    copy = Path(workdir) / f".host-{config.name}"
    partial = copy.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(copy)
    return copy


_TAKES_VALUE = {"--name", "-p", "--publish", "-v", "--volume", "--mount", "-e", "--env", "--platform",
                "--cpus", "--memory", "-m", "--network", "--user", "-u"}


def parse_docker_run(code: str, cwd: Path) -> Container:
    """Let bash expand the command (``$PWD``, quotes, continuations) and read docker's argv."""
    script = 'docker() { printf "%s\\0" "$@"; }\n' + code
    out = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, check=True, timeout=30)
    argv = out.stdout.decode().split("\0")[:-1]
    if argv[:1] != ["run"]:
        raise ValueError("expected a single `docker run` command")
    run, i = Container(), 1
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            run.image, run.args = arg, argv[i + 1:]
            break
        key, _, inline = arg.partition("=")
        if key in _TAKES_VALUE and not inline:
            i += 1
            value = argv[i]
        else:
            value = inline
        if key == "--name":
            run.name = value
        elif key in ("-p", "--publish"):
            parts = value.split(":")
            run.ports[int(parts[-1].split("/")[0])] = int(parts[-2])
        elif key in ("-v", "--volume"):
            source, target = value.split(":")[:2]
            run.mounts[target] = source
        elif key == "--mount":
            fields = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
            target = fields.get("target") or fields.get("destination") or fields.get("dst")
            run.mounts[target] = fields.get("source") or fields.get("src")
        elif key in ("-e", "--env"):
            name, _, val = value.partition("=")
            run.env[name] = val
        i += 1
    if not run.image.startswith("tensorflow/serving"):
        raise ValueError(f"expected the tensorflow/serving image, got {run.image!r}")
    return run


def compose_service(compose_file: Path, service: str) -> Container:
    """One service of a compose file; relative volume sources are relative to the file, as
    ``docker compose`` reads them."""
    import yaml  # noqa: PLC0415 - only this function needs it

    compose_file = Path(compose_file)
    spec = yaml.safe_load(compose_file.read_text())["services"][service]
    run = Container(name=service, image=str(spec.get("image", "")), args=[str(a) for a in spec.get("command", [])])
    for volume in spec.get("volumes", []):
        source, target = volume.split(":")[:2]
        run.mounts[target] = os.path.normpath(compose_file.parent.absolute() / source)
    environment = spec.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    run.env = {k: str(v) for k, v in environment.items()}
    for port in spec.get("ports", []):
        parts = str(port).split(":")
        run.ports[int(parts[-1].split("/")[0])] = int(parts[-2])
    return run


# ---------------------------------------------------------------------------------------------
# The process
# ---------------------------------------------------------------------------------------------
def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:  # already gone
        pass


# ---------------------------------------------------------------------------------------------
def _flag(flags: list[str], name: str, default: str | None = None) -> str | None:
    """The value of a non-boolean flag: TF's flag parser reads only --name=value (a bare
    --name and the next argument are unknown arguments), and the last one wins."""
    value = default
    for flag in flags:
        key, sep, rest = flag.partition("=")
        if key == f"--{name}" and sep:
            value = rest
    return value


def configured_models(flags: list[str]) -> list[str]:
    """The model names the flags configure: a --model_config_file's, else --model_name."""
    config = _flag(flags, "model_config_file")
    if config:
        from google.protobuf import text_format  # noqa: PLC0415
        from tensorflow_serving.config import model_server_config_pb2  # noqa: PLC0415

        parsed = text_format.Parse(Path(config).read_text(), model_server_config_pb2.ModelServerConfig())
        return [model.name for model in parsed.model_config_list.config]
    return [_flag(flags, "model_name", "default")]


class Server:
    """One compatible server process. ``flags`` are tensorflow_model_server's."""

    def __init__(self, flags: list[str], *, log_path: Path | None = None, env: dict[str, str] | None = None,
                 entrypoint_env: dict[str, str] | None = None, cwd: Path | None = None):
        self.flags = list(flags)
        self.entrypoint_env = entrypoint_env
        module = "tfs_compat.docker_entrypoint" if entrypoint_env is not None else "tfs_compat"
        self.command = [sys.executable, "-m", module, *self.flags]
        self.env = {**(env or {}), **(entrypoint_env or {})}
        self.cwd = cwd
        self.log_path = Path(log_path) if log_path else None  # a temporary file once started
        self.process: subprocess.Popen | None = None

    @classmethod
    def from_container(cls, container: Container, workdir: Path, *, ports: dict[int, int] | None = None,
                       **kwargs) -> "Server":
        """The server the official image would run for ``container``, on the host."""
        return cls(container.host_flags(Path(workdir), ports), entrypoint_env=container.entrypoint_env(), **kwargs)

    def effective_flags(self) -> list[str]:
        """The flags the server parses (with the entrypoint's, if it starts through it)."""
        if self.entrypoint_env is None:
            return self.flags
        from .docker_entrypoint import build_argv  # noqa: PLC0415

        return build_argv(self.flags, self.entrypoint_env)

    @property
    def grpc_port(self) -> int:
        return int(_flag(self.effective_flags(), "port", "8500"))

    @property
    def rest_port(self) -> int:
        return int(_flag(self.effective_flags(), "rest_api_port", "0"))

    @property
    def grpc_target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    @property
    def rest_url(self) -> str | None:
        return f"http://127.0.0.1:{self.rest_port}" if self.rest_port else None

    def models(self) -> list[str]:
        return configured_models(self.effective_flags())

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> "Server":
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_PARENT), env.get("PYTHONPATH")) if p)
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix="tfs-compat-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        with open(self.log_path, "wb") as log:
            # A session of its own: stop() ends the whole group, and a terminal's Ctrl-C does not.
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_available(self, models: list[str] | None = None, timeout: float = READY_TIMEOUT_S) -> "Server":
        """Poll until every model (default: every configured one) has an AVAILABLE version.

        TF Serving opens its ports only once the configured models have loaded
        (model_servers/server.cc BuildAndStart); a model added later by a config reload has
        its own moment, hence the per-model poll rather than a port check."""
        models = self.models() if models is None else list(models)
        deadline = time.monotonic() + timeout
        for model in models:
            while not self.available_versions(model):
                if self.process is not None and self.process.poll() is not None:
                    raise ServerExited(f"the server exited with {self.process.returncode} before {model!r} "
                                       f"was available\n{self.log_tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{model!r} not AVAILABLE within {timeout:.0f} s\n{self.log_tail()}")
                time.sleep(0.2)
        return self

    def available_versions(self, model: str) -> list[int]:
        """Versions the model status API reports AVAILABLE ([] while starting or loading)."""
        if self.rest_port:
            try:
                with urllib.request.urlopen(f"{self.rest_url}/v1/models/{model}", timeout=2) as response:
                    statuses = json.load(response)["model_version_status"]
            except (OSError, http.client.HTTPException, ValueError, KeyError):  # refused, HTTP error, not JSON
                return []
            return sorted(int(s["version"]) for s in statuses if s["state"] == "AVAILABLE")
        return self._grpc_available_versions(model)

    def _grpc_available_versions(self, model: str) -> list[int]:
        import grpc  # noqa: PLC0415
        from tensorflow_serving.apis import get_model_status_pb2, model_service_pb2_grpc  # noqa: PLC0415

        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = model
        with grpc.insecure_channel(self.grpc_target) as channel:
            try:
                reply = model_service_pb2_grpc.ModelServiceStub(channel).GetModelStatus(request, timeout=2)
            except grpc.RpcError:
                return []
        return sorted(v.version for v in reply.model_version_status if v.state == v.AVAILABLE)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> int | None:
        """Send ``sig`` to the server's process group, wait up to ``timeout`` s for every process
        of it, then SIGKILL what is left; returns the server's exit status."""
        if self.process is None:
            return None
        if self.process.poll() is not None:
            return self.process.returncode
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        _signal_group(self.process.pid, sig)
        started = time.monotonic()
        try:
            # The server through Popen (not psutil), which reaps it and keeps its exit status.
            status = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(self.process.pid, signal.SIGKILL)
            status = self.process.wait(timeout=10)
        _, alive = psutil.wait_procs(children, timeout=max(0.0, timeout - (time.monotonic() - started)))
        for child in alive:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=10)  # a killed process lingers until the kernel ends it
        return status

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- output -----------------------------------------------------------------------------
    def log(self) -> str:
        if self.log_path is None:
            return ""
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        tail = self.log().splitlines()[-lines:]
        return f"--- {self.log_path} (last {len(tail)} lines) ---\n" + "\n".join(tail)

    def __repr__(self) -> str:
        return f"Server({shlex.join(self.command[2:])})"


def main(argv: list[str] | None = None) -> int:
    """``python -m tfs_compat.launcher docker run ... tensorflow/serving:TAG [flags]``: the server
    that command would start, in the foreground, with host ports and paths; Ctrl-C stops it."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] != ["docker", "run"]:
        sys.stderr.write("usage: python -m tfs_compat.launcher docker run [docker options] "
                         "tensorflow/serving[:TAG] [server flags]\n")
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="tfs-compat-"))
    server = Server.from_container(parse_docker_run(shlex.join(argv), Path.cwd()), workdir,
                                   log_path=workdir / "server.log")
    print(f"starting {server!r}; log: {server.log_path}", flush=True)

    def stop_on_sigterm(signum, frame):
        raise KeyboardInterrupt  # leave through `with server`, which stops the server's group

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    with server:
        try:
            server.wait_available()
            print(f"serving {server.models()}: gRPC {server.grpc_target}, REST {server.rest_url}", flush=True)
            server.process.wait()
        except KeyboardInterrupt:
            pass
    return server.process.returncode or 0


if __name__ == "__main__":
    sys.exit(main())

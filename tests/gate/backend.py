"""The TF Serving backend the serving blocks run against.

A page starts TF Serving with one block marked ``<!--pytest.mark.tf_serving-->``: a
``docker run -d --name NAME ... tensorflow/serving:TAG [flags]`` command, exactly what
the reader types. The gate derives what it starts from that block, in this order:

1. ``TF_SERVING_REST_URL`` (and ``TF_SERVING_GRPC_TARGET``) name a server that is
   already running: nothing is started, the gate only waits for it;
2. a Docker engine is reachable: the block runs as written, and its container is
   removed when the page ends;
3. otherwise the project's TF-Serving-compatible server (``python -m tests.model_server``)
   starts with the flags the official image would get: the same model name, the same
   host ports, the bind-mounted host paths in place of the container paths.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .requirements import docker_available

REPO = Path(__file__).resolve().parents[2]


def pinned_image(name: str, env_file: Path = REPO / "docker" / ".env") -> str:
    """An image named in docker/.env, the one place the deployment files' images are defined."""
    for line in env_file.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == name:
            return value.strip()
    raise KeyError(f"{env_file} does not define {name}")


# The one pinned TF Serving image (docker/.env): pages, docker/ files and CI name this one.
TF_SERVING_IMAGE = pinned_image("TFS_IMAGE")
# tensorflow/serving:X.Y.Z without a digest, and the release X.Y.Z.
TF_SERVING_TAG = TF_SERVING_IMAGE.split("@")[0]
TF_SERVING_VERSION = TF_SERVING_TAG.rpartition(":")[2]
READY_TIMEOUT_S = 180
# The official image's entrypoint (tools/docker/Dockerfile in tensorflow/serving).
IMAGE_DEFAULT_ENV = {"MODEL_BASE_PATH": "/models", "MODEL_NAME": "model"}
GRPC_CONTAINER_PORT, REST_CONTAINER_PORT = 8500, 8501


@dataclass
class DockerRun:
    """A parsed ``docker run`` command line."""

    name: str | None = None
    ports: dict[int, int] = field(default_factory=dict)  # container port -> host port
    mounts: dict[str, str] = field(default_factory=dict)  # container path -> host path
    env: dict[str, str] = field(default_factory=dict)
    image: str = ""
    args: list[str] = field(default_factory=list)

    def host_path(self, container_path: str) -> str:
        # The longest mount target that contains the path wins, as in the container.
        for target in sorted(self.mounts, key=len, reverse=True):
            if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
                return self.mounts[target] + container_path[len(target):]
        raise ValueError(f"{container_path} is not inside any bind mount of the docker run command")

    def server_flags(self) -> dict[str, str]:
        """The flags tensorflow_model_server gets inside the container (last one wins)."""
        env = {**IMAGE_DEFAULT_ENV, **self.env}
        flags = {
            "port": str(GRPC_CONTAINER_PORT),
            "rest_api_port": str(REST_CONTAINER_PORT),
            "model_name": env["MODEL_NAME"],
            "model_base_path": f"{env['MODEL_BASE_PATH']}/{env['MODEL_NAME']}",
        }
        for arg in self.args:
            match = re.fullmatch(r"--([A-Za-z0-9_]+)(?:=(.*))?", arg, flags=re.S)
            if not match:
                raise ValueError(f"unsupported server argument {arg!r}: use --name=value")
            flags[match.group(1)] = match.group(2) if match.group(2) is not None else "true"
        return flags


def parse_docker_run(code: str, cwd: Path) -> DockerRun:
    """Let bash expand the block (``$PWD``, quotes, continuations) and read docker's argv."""
    script = 'docker() { printf "%s\\0" "$@"; }\n' + code
    out = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, check=True, timeout=30)
    argv = out.stdout.decode().split("\0")[:-1]
    if argv[:1] != ["run"]:
        raise ValueError("a tf_serving block must be a single `docker run` command")
    run, i = DockerRun(), 1
    takes_value = {"--name", "-p", "--publish", "-v", "--volume", "--mount", "-e", "--env",
                   "--platform", "--cpus", "--memory", "-m", "--network", "--user", "-u"}
    while i < len(argv):
        arg = argv[i]
        if not arg.startswith("-"):
            run.image, run.args = arg, argv[i + 1:]
            break
        key, _, inline = arg.partition("=")
        if key in takes_value and not inline:
            i += 1
            value = argv[i]
        else:
            value = inline
        if key == "--name":
            run.name = value
        elif key in ("-p", "--publish"):
            parts = value.split(":")
            host, container = parts[-2], parts[-1].split("/")[0]
            run.ports[int(container)] = int(host)
        elif key in ("-v", "--volume"):
            source, target = value.split(":")[:2]
            run.mounts[target] = source
        elif key == "--mount":
            fields = dict(item.split("=", 1) for item in value.split(",") if "=" in item)
            source = fields.get("source") or fields.get("src")
            target = fields.get("target") or fields.get("destination") or fields.get("dst")
            run.mounts[target] = source
        elif key in ("-e", "--env"):
            name, _, val = value.partition("=")
            run.env[name] = val
        i += 1
    if not run.image.startswith("tensorflow/serving"):
        raise ValueError(f"expected the tensorflow/serving image, got {run.image!r}")
    return run


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_for_ports(ports: list[int], alive, what: str) -> None:
    # TF Serving opens its ports only once the configured models have loaded.
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if all(_port_open(p) for p in ports):
            return
        problem = alive()
        if problem:
            raise RuntimeError(f"{what} stopped before it was ready: {problem}")
        time.sleep(0.25)
    raise TimeoutError(f"{what} did not open ports {ports} within {READY_TIMEOUT_S} s")


class Backend:
    name = "none"

    def start(self, block_code: str, workdir: Path) -> str:
        raise NotImplementedError

    def stop(self) -> None:
        pass


class ExternalBackend(Backend):
    name = "external TF Serving (TF_SERVING_REST_URL)"

    def start(self, block_code, workdir):
        return "using the running server named by TF_SERVING_REST_URL"


class DockerBackend(Backend):
    name = f"TF Serving {TF_SERVING_VERSION} (Docker {TF_SERVING_IMAGE})"

    def __init__(self):
        self.containers: list[str] = []

    def start(self, block_code, workdir):
        run = parse_docker_run(block_code, workdir)
        if not run.name:
            raise ValueError("a tf_serving block must name its container (--name) so the gate can stop it")
        subprocess.run(["docker", "rm", "-f", run.name], capture_output=True)
        out = subprocess.run(["bash", "-e", "-c", block_code], cwd=workdir, capture_output=True, text=True)
        if out.returncode:
            raise RuntimeError(f"docker run failed: {out.stderr}")
        self.containers.append(run.name)

        def alive():
            state = subprocess.run(["docker", "inspect", "-f", "{{.State.Running}}", run.name],
                                   capture_output=True, text=True)
            if state.stdout.strip() != "true":
                logs = subprocess.run(["docker", "logs", run.name], capture_output=True, text=True)
                return logs.stdout[-3000:] + logs.stderr[-3000:]
            return None

        _wait_for_ports(list(run.ports.values()), alive, f"container {run.name}")
        return out.stdout

    def stop(self):
        for name in self.containers:
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, timeout=60)
        self.containers.clear()


class CompatibleServerBackend(Backend):
    name = f"the TF-Serving-compatible server (tests/model_server) mirroring TF Serving {TF_SERVING_VERSION}"

    def __init__(self):
        self.processes: list[subprocess.Popen] = []
        self.watchers: list[tuple[threading.Event, threading.Thread]] = []

    def command(self, run: DockerRun, workdir: Path) -> list[str]:
        flags = run.server_flags()
        for port_flag in ("port", "rest_api_port"):
            container_port = int(flags[port_flag])
            if container_port == 0:
                continue
            if container_port not in run.ports:
                # Unpublished: unreachable from the host, as in Docker.
                flags[port_flag] = "0" if port_flag == "rest_api_port" else str(_free_port())
            else:
                flags[port_flag] = str(run.ports[container_port])
        for path_flag in ("model_base_path", "model_config_file", "batching_parameters_file",
                          "monitoring_config_file"):
            if flags.get(path_flag):
                flags[path_flag] = run.host_path(flags[path_flag])
        if flags.get("model_config_file"):
            original = Path(flags["model_config_file"])
            flags["model_config_file"] = str(_host_config(run, original, workdir))
            self._follow(run, original, workdir)
        return [sys.executable, "-m", "tests.model_server", *(f"--{k}={v}" for k, v in flags.items())]

    def start(self, block_code, workdir):
        run = parse_docker_run(block_code, workdir)
        command = self.command(run, workdir)
        log = open(workdir / f"tf-serving-{run.name or 'server'}.log", "wb")
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        self.processes.append(process)

        def alive():
            if process.poll() is not None:
                return f"exit status {process.returncode}; log: {log.name}"
            return None

        _wait_for_ports([p for p in run.ports.values()], alive, "the compatible server")
        return " ".join(shlex.quote(part) for part in command[1:])

    def _follow(self, run: DockerRun, original: Path, workdir: Path) -> None:
        """Keep the host copy of a models.config in step with the page's edits, so the
        server's --model_config_file_poll_wait_seconds sees them as the container would."""
        stop = threading.Event()

        def follow():
            seen = original.stat().st_mtime_ns
            while not stop.wait(0.2):
                try:
                    now = original.stat().st_mtime_ns
                    if now != seen:
                        seen = now
                        _host_config(run, original, workdir)
                except (OSError, ValueError):
                    continue

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        self.watchers.append((stop, thread))

    def stop(self):
        for stop, thread in self.watchers:
            stop.set()
            thread.join(timeout=5)
        self.watchers.clear()
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
        self.processes.clear()


def _host_config(run: DockerRun, config: Path, workdir: Path) -> Path:
    """A copy of a models.config whose container base paths point at the bind-mounted host paths."""
    text = config.read_text()
    text = re.sub(r'(base_path\s*:\s*")([^"]+)(")',
                  lambda m: m.group(1) + run.host_path(m.group(2)) + m.group(3), text)
    copy = workdir / f".host-{config.name}"
    # Replace atomically: the server may be reading the copy while the page edits the original.
    partial = copy.with_suffix(".partial")
    partial.write_text(text)
    partial.replace(copy)
    return copy


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def choose_backend() -> Backend | None:
    if os.environ.get("TF_SERVING_REST_URL"):
        return ExternalBackend()
    if docker_available():
        return DockerBackend()
    if (REPO / "tests" / "model_server" / "__main__.py").exists():
        return CompatibleServerBackend()
    return None

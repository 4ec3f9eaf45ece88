"""The TF Serving backend the serving blocks run against.

A page starts TF Serving with one block marked ``<!--pytest.mark.tf_serving-->``: a
``docker run -d --name NAME ... tensorflow/serving:TAG [flags]`` command, exactly what
the reader types. The gate derives what it starts from that block, in this order:

1. ``TF_SERVING_REST_URL`` (and ``TF_SERVING_GRPC_TARGET``) name a server that is
   already running: nothing is started, the gate only waits for it;
2. a Docker engine is reachable: the block runs as written, and its container is
   removed when the page ends;
3. otherwise the project's TF-Serving-compatible server (``python -m tfs_compat``)
   starts with the flags the official image would get: the same model name, the same
   host ports, the bind-mounted host paths in place of the container paths
   (``tfs_compat.launcher``, which every user of that server starts it through).
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import threading
import time
from pathlib import Path

from tfs_compat.launcher import Container, Server, host_config, parse_docker_run

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
    name = f"the TF-Serving-compatible server (tfs_compat) mirroring TF Serving {TF_SERVING_VERSION}"

    def __init__(self):
        self.servers: list[Server] = []
        self.watchers: list[tuple[threading.Event, threading.Thread]] = []

    def server(self, run: Container, workdir: Path) -> Server:
        """The server the image would run for ``run``, its models.config kept in step."""
        server = Server.from_container(run, workdir, log_path=workdir / f"tf-serving-{run.name or 'server'}.log")
        config = next((a.partition("=")[2] for a in run.args if a.startswith("--model_config_file=")), "")
        if config:
            self._follow(run, Path(run.host_path(config)), workdir)
        return server

    def start(self, block_code, workdir):
        server = self.server(parse_docker_run(block_code, workdir), workdir)
        self.servers.append(server)
        server.start().wait_available(timeout=READY_TIMEOUT_S)
        return shlex.join(server.command[1:])

    def _follow(self, run: Container, original: Path, workdir: Path) -> None:
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
                        host_config(run, original, workdir)
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
        for server in self.servers:
            server.stop()
        self.servers.clear()


def choose_backend() -> Backend | None:
    if os.environ.get("TF_SERVING_REST_URL"):
        return ExternalBackend()
    if docker_available():
        return DockerBackend()
    if (REPO / "tfs_compat" / "__main__.py").exists():
        return CompatibleServerBackend()
    return None

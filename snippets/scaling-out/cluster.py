"""N TF Serving instances behind nginx on 127.0.0.1, built from the files docker/compose.yaml
uses: the replicas' flags come from its `command`, nginx's configuration from the same template
(docker/nginx/templates/tfs.conf.template) with loopback addresses instead of service names.

The instances are the project's TF-Serving-compatible server (`python -m tests.model_server`,
run from the repository root), a stand-in that takes tensorflow_model_server's flags."""

# --8<-- [start:render]
import re

TEMPLATE_VARIABLE = re.compile(r"\$\{(TFS_[A-Z0-9_]+)\}")


def render_nginx(template, values):
    """Fill ${TFS_...} as the nginx image's envsubst does (NGINX_ENVSUBST_FILTER=^TFS_) and
    leave nginx's own $variables alone. A variable without a value is an error, not a blank."""
    missing = sorted(set(TEMPLATE_VARIABLE.findall(template)) - set(values))
    if missing:
        raise KeyError(f"no value for template variables {missing}")
    return TEMPLATE_VARIABLE.sub(lambda match: str(values[match.group(1)]), template)
# --8<-- [end:render]


# --8<-- [start:cluster]
import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path("snippets").resolve().parent  # the compatible server lives in the repo's tests/
COMPOSE = Path("docker/compose.yaml")
NGINX_TEMPLATE = Path("docker/nginx/templates/tfs.conf.template")
NGINX_MAIN = """\
daemon off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/tfs.conf;
}}
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def compose_replica(service="tfs-1"):
    """(flags, {container path: host path}) of one TF Serving service of docker/compose.yaml."""
    spec = yaml.safe_load(COMPOSE.read_text())["services"][service]
    mounts = {}
    for volume in spec["volumes"]:
        source, target = volume.split(":")[:2]
        # Relative to the compose file, as docker compose reads it (docker/../models -> models).
        mounts[target] = Path(os.path.normpath(COMPOSE.parent / source)).absolute()
    return list(spec["command"]), mounts


def host_path(path, mounts):
    for target in sorted(mounts, key=len, reverse=True):
        if path == target or path.startswith(target + "/"):
            return str(mounts[target]) + path[len(target):]
    raise ValueError(f"{path} is not inside a volume of {COMPOSE}")


class Cluster:
    """Replicas of the compose file's TF Serving service behind nginx; stop() ends them all."""

    def __init__(self, replicas=3, rest_port=8501, grpc_port=8500):
        self.rest_url = f"http://127.0.0.1:{rest_port}"
        self.grpc_target = f"127.0.0.1:{grpc_port}"
        self.nginx_ports = (rest_port, grpc_port)
        self.names = [f"tfs-{i}" for i in range(1, replicas + 1)]
        self.dir = Path(tempfile.mkdtemp(prefix="tfs-cluster-"))
        self.access_log = self.dir / "access.log"
        self.replicas = {}  # name -> {"process", "rest", "grpc"}
        self.nginx = None
        atexit.register(self.stop)  # a failing block must not leave servers behind

    def start(self, timeout=180):
        try:
            flags, mounts = compose_replica()
            flags = [self._host_flag(flag, mounts) for flag in flags]
            self.models = re.findall(r'name:\s*"([^"]+)"', (self.dir / "models.config").read_text())
            for name in self.names:
                self._start_replica(name, flags)
            deadline = time.monotonic() + timeout
            for name in self.names:
                self._wait_ready(name, deadline)
            self._start_nginx(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _host_flag(self, flag, mounts):
        key, _, value = flag.partition("=")
        if not value.startswith("/"):
            return flag
        path = host_path(value, mounts)
        if key == "--model_config_file":  # its base paths are container paths too
            config = Path(path).read_text()
            config = re.sub(r'(base_path:\s*")([^"]+)"',
                            lambda m: m.group(1) + host_path(m.group(2), mounts) + '"', config)
            path = self.dir / "models.config"
            path.write_text(config)
        return f"{key}={path}"

    def _start_replica(self, name, flags):
        rest, grpc = free_port(), free_port()
        log = open(self.dir / f"{name}.log", "wb")
        command = [sys.executable, "-m", "tests.model_server",
                   f"--port={grpc}", f"--rest_api_port={rest}", *flags]
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        log.close()
        self.replicas[name] = {"process": process, "rest": rest, "grpc": grpc}

    def _wait_ready(self, name, deadline):
        """Ready = every configured model reports an AVAILABLE version: poll, never sleep blind."""
        for model in self.models:
            while not available_versions(self.rest_url_of(name), model):
                if self.replicas[name]["process"].poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log(name)[-2000:]}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} did not load {model}:\n{self.log(name)[-2000:]}")
                time.sleep(0.2)

    def _start_nginx(self, deadline):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        rest, grpc = self.nginx_ports
        replicas = self.replicas.values()
        conf = render_nginx(NGINX_TEMPLATE.read_text(), {
            "TFS_REST_SERVERS": " ".join(f"server 127.0.0.1:{r['rest']};" for r in replicas),
            "TFS_GRPC_SERVERS": " ".join(f"server 127.0.0.1:{r['grpc']};" for r in replicas),
            "TFS_REST_LISTEN": f"127.0.0.1:{rest}",
            "TFS_GRPC_LISTEN": f"127.0.0.1:{grpc}",
            "TFS_ACCESS_LOG": self.access_log,
        })
        (self.dir / "tfs.conf").write_text(conf)
        (self.dir / "nginx.conf").write_text(NGINX_MAIN.format(d=self.dir))
        command = [nginx, "-p", str(self.dir), "-e", str(self.dir / "error.log"),
                   "-c", str(self.dir / "nginx.conf")]
        subprocess.run([*command, "-t", "-q"], check=True, capture_output=True)
        self.nginx = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while not all(_port_open(port) for port in self.nginx_ports):
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {(self.dir / 'error.log').read_text()}")
            time.sleep(0.1)

    def rest_url_of(self, name):
        """One replica's own REST address, bypassing nginx (for status checks)."""
        return f"http://127.0.0.1:{self.replicas[name]['rest']}"

    def live(self):
        """Names of the replicas whose process is running."""
        return [n for n in self.names if self.replicas[n]["process"].poll() is None]

    def kill(self, name):
        """Crash one replica (SIGKILL: no graceful shutdown), as a dying node would."""
        process = self.replicas[name]["process"]
        process.kill()
        process.wait(timeout=10)

    def requests_per_replica(self):
        """Requests nginx sent to each replica so far, read from its access log."""
        by_port = {}
        for name, replica in self.replicas.items():
            by_port[f"127.0.0.1:{replica['rest']}"] = by_port[f"127.0.0.1:{replica['grpc']}"] = name
        counts = Counter({name: 0 for name in self.names})
        for line in self.access_log.read_text().splitlines():
            # "upstream=a, b" when nginx retried: the last address answered.
            upstream = line.split(" upstream=")[1].split(" upstream_status=")[0]
            answered = upstream.split(", ")[-1]
            if answered in by_port:
                counts[by_port[answered]] += 1
        return counts

    def log(self, name):
        return (self.dir / f"{name}.log").read_text(errors="replace")

    def stop(self):
        """Stop nginx and every replica: SIGTERM, a bounded wait, then SIGKILL."""
        for process in [self.nginx] + [r["process"] for r in self.replicas.values()]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [self.nginx] + [r["process"] for r in self.replicas.values()]:
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
# --8<-- [end:cluster]

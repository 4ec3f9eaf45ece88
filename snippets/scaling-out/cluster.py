"""N TF Serving instances behind nginx on 127.0.0.1, built from the files docker/compose.yaml
uses: the replicas' flags come from its `command`, nginx's configuration from the same template
(docker/nginx/templates/tfs.conf.template) with loopback addresses instead of service names.

The instances are the project's TF-Serving-compatible server (`python -m tfs_compat`), a
stand-in that takes tensorflow_model_server's flags, started by its launcher
(`tfs_compat.launcher`) as the compose file's service would start TF Serving."""

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
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from tfs_compat.launcher import Server, compose_service, free_port

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


class Cluster:
    """Replicas of the compose file's TF Serving service behind nginx; stop() ends them all."""

    def __init__(self, replicas=3, rest_port=8501, grpc_port=8500):
        self.rest_url = f"http://127.0.0.1:{rest_port}"
        self.grpc_target = f"127.0.0.1:{grpc_port}"
        self.nginx_ports = (rest_port, grpc_port)
        self.names = [f"tfs-{i}" for i in range(1, replicas + 1)]
        self.dir = Path(tempfile.mkdtemp(prefix="tfs-cluster-"))
        self.access_log = self.dir / "access.log"
        self.replicas = {}  # name -> tfs_compat.launcher.Server
        self.nginx = None
        atexit.register(self.stop)  # a failing block must not leave servers behind

    def start(self, timeout=180):
        try:
            # The service's command, volumes and environment; host paths for container paths.
            service = compose_service(COMPOSE, "tfs-1")
            for name in self.names:
                # Containers would each have 8500/8501; processes on one host need ports of their own.
                ports = {8500: free_port(), 8501: free_port()}
                replica = Server.from_container(service, self.dir, ports=ports, log_path=self.dir / f"{name}.log")
                self.replicas[name] = replica.start()
            deadline = time.monotonic() + timeout
            for replica in self.replicas.values():
                # Ready = every model of its models.config reports an AVAILABLE version (polled).
                replica.wait_available(timeout=max(0.0, deadline - time.monotonic()))
            self._start_nginx(deadline)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nginx(self, deadline):
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        rest, grpc = self.nginx_ports
        replicas = self.replicas.values()
        conf = render_nginx(NGINX_TEMPLATE.read_text(), {
            "TFS_REST_SERVERS": " ".join(f"server 127.0.0.1:{r.rest_port};" for r in replicas),
            "TFS_GRPC_SERVERS": " ".join(f"server 127.0.0.1:{r.grpc_port};" for r in replicas),
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
        return self.replicas[name].rest_url

    def live(self):
        """Names of the replicas whose process is running."""
        return [n for n in self.names if self.replicas[n].running]

    def kill(self, name):
        """Crash one replica (SIGKILL: no graceful shutdown), as a dying node would."""
        process = self.replicas[name].process
        process.kill()
        process.wait(timeout=10)

    def requests_per_replica(self):
        """Requests nginx sent to each replica so far, read from its access log."""
        by_port = {}
        for name, replica in self.replicas.items():
            by_port[f"127.0.0.1:{replica.rest_port}"] = by_port[f"127.0.0.1:{replica.grpc_port}"] = name
        counts = Counter({name: 0 for name in self.names})
        for line in self.access_log.read_text().splitlines():
            # "upstream=a, b" when nginx retried: the last address answered.
            upstream = line.split(" upstream=")[1].split(" upstream_status=")[0]
            answered = upstream.split(", ")[-1]
            if answered in by_port:
                counts[by_port[answered]] += 1
        return counts

    def log(self, name):
        return self.replicas[name].log()

    def stop(self):
        """Stop nginx, then every replica's process group: SIGTERM, a bounded wait, then SIGKILL."""
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
            try:
                self.nginx.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=10)
        for replica in self.replicas.values():
            replica.stop()


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0
# --8<-- [end:cluster]

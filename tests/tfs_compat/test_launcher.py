"""tfs_compat.launcher: container definitions to host flags, readiness errors, process-group stop.

The servers it starts for real are exercised by every other module of this suite (the harness
starts them through it); these tests pin what those cannot show: the mapping of the repository's
compose service, and what happens when a process exits early, hangs, or leaves children."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from tfs_compat import launcher

REPO = Path(__file__).resolve().parents[2]


def _flags(server):
    """--name=value flags as the server's parser reads them: the last one of a name wins."""
    return dict(flag[2:].partition("=")[::2] for flag in server.effective_flags())


def test_the_compose_service_becomes_host_flags(tmp_path):
    service = launcher.compose_service(REPO / "docker/compose.yaml", "tfs-1")
    assert service.mounts["/models"] == str(REPO / "models")  # ../models, relative to docker/
    server = launcher.Server.from_container(service, tmp_path, ports={8500: 9000, 8501: 9001})
    flags = _flags(server)
    assert (flags["port"], flags["rest_api_port"]) == ("9000", "9001")
    assert flags["batching_parameters_file"] == str(REPO / "docker/batching.config")
    config = Path(flags["model_config_file"])
    assert config.parent == tmp_path
    assert f'base_path: "{REPO}/models/digits"' in config.read_text()
    assert server.models() == ["digits", "digits_ab"]


def test_a_container_path_outside_every_mount_is_refused():
    container = launcher.Container(mounts={"/models": "/host/models"}, args=["--model_config_file=/config/m.config"])
    assert container.host_path("/models/digits/1") == "/host/models/digits/1"
    with pytest.raises(ValueError, match="/config/m.config is not inside any bind mount"):
        container.host_flags(Path("."))


def test_flags_are_read_as_tf_flag_parsing_reads_them():
    # Only --name=value counts (a bare --rest_api_port and its value are unknown arguments).
    server = launcher.Server(["--port=1", "--rest_api_port=2", "--rest_api_port", "3", "--port=4"])
    assert (server.grpc_port, server.rest_port) == (4, 2)
    assert launcher.Server(["--model_base_path=/m"]).models() == ["default"]


def _fake(server, code):
    """Run ``code`` in place of the server (same process handling, no TensorFlow)."""
    server.command = [sys.executable, "-c", code]
    return server


def test_a_server_that_exits_early_is_reported_with_its_log(tmp_path):
    server = _fake(launcher.Server(["--rest_api_port=1"], log_path=tmp_path / "s.log"),
                   "import sys; print('Failed to start server. Error: boom'); sys.exit(255)")
    with server, pytest.raises(launcher.ServerExited, match="(?s)exited with 255.*Error: boom"):
        server.wait_available(["m"], timeout=60)


def test_a_server_that_never_serves_times_out(tmp_path):
    server = _fake(launcher.Server([f"--rest_api_port={launcher.free_port()}"], log_path=tmp_path / "s.log"),
                   "import time; print('still loading', flush=True); time.sleep(60)")
    started = time.monotonic()
    with server, pytest.raises(TimeoutError, match="(?s)'m' not AVAILABLE within 1 s.*still loading"):
        server.wait_available(["m"], timeout=1)
    assert time.monotonic() - started < 30


def test_stop_ends_the_whole_process_group(tmp_path):
    # A child that ignores SIGTERM: stop() must still end it (SIGKILL after the timeout).
    code = ("import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
            "'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(120)']); "
            "time.sleep(120)")
    server = _fake(launcher.Server([], log_path=tmp_path / "s.log"), code).start()
    deadline = time.monotonic() + 30
    while not psutil.Process(server.process.pid).children():
        assert time.monotonic() < deadline, "the child did not start"
        time.sleep(0.05)
    child = psutil.Process(server.process.pid).children()[0]
    status = server.stop(timeout=2)
    assert status == -15  # the parent ended on SIGTERM
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


@pytest.mark.slow
def test_a_docker_run_command_runs_as_the_compatible_server(tmp_path):
    """What docs/tf-serving.md tells a reader without the official image: put
    `python -m tfs_compat.launcher` in front of the `docker run`; SIGTERM (or Ctrl-C) stops it all."""
    import subprocess
    import urllib.request

    from tests.tfs_compat import models

    models.write_half_plus_two(tmp_path / "models" / "half", 1)
    grpc_port, rest_port = launcher.free_port(), launcher.free_port()
    command = [sys.executable, "-m", "tfs_compat.launcher", "docker", "run", "-d", "--name", "t",
               "-p", f"127.0.0.1:{grpc_port}:8500", "-p", f"{rest_port}:8501", "-v", f"{tmp_path}/models:/models:ro",
               "-e", "MODEL_NAME=half", "tensorflow/serving:2.21.0"]
    cli = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env={**os.environ, "PYTHONPATH": str(REPO), "TMPDIR": str(tmp_path)})
    try:
        lines = []
        for line in cli.stdout:  # bounded by wait_available's own timeout inside the launcher
            lines.append(line)
            if line.startswith("serving"):
                break
        assert lines[-1].startswith(f"serving ['half']: gRPC 127.0.0.1:{grpc_port}, REST http://127.0.0.1:{rest_port}"), lines
        with urllib.request.urlopen(f"http://127.0.0.1:{rest_port}/v1/models/half", timeout=10) as response:
            assert b'"AVAILABLE"' in response.read()
        server = psutil.Process(cli.pid).children()[0]
        cli.terminate()
        assert cli.wait(timeout=60) == 0
        assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    finally:
        if cli.poll() is None:  # the test failed midway: end the launcher and what it started
            left = psutil.Process(cli.pid).children(recursive=True)
            cli.kill()
            cli.wait(timeout=10)
            for process in left:
                process.kill()

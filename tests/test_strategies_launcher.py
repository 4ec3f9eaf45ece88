"""The launcher of docs/distribution-strategies.md (snippets/distribution-strategies/cluster.py) keeps
its promises without TensorFlow: ephemeral ports, TF_CONFIG per task, bounded waits, and
no process left behind when a task fails or a wait times out."""

from __future__ import annotations

import json
import runpy
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def launcher(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return runpy.run_path(str(REPO / "snippets" / "distribution-strategies" / "cluster.py"))


def _script(name: str, code: str) -> str:
    Path(name).write_text(code)
    return name


def test_cluster_has_distinct_local_ports(launcher):
    cluster = launcher["make_cluster"](chief=1, worker=2, ps=2)
    addresses = [a for job in cluster.values() for a in job]
    assert [len(cluster[j]) for j in ("chief", "worker", "ps")] == [1, 2, 2]
    assert len(set(addresses)) == 5 and all(a.startswith("localhost:") for a in addresses)


def test_each_task_gets_its_tf_config(launcher):
    cluster = launcher["make_cluster"](worker=2)
    script = _script("echo.py", "import os; print('[tf]', os.environ['TF_CONFIG'])")
    with launcher["stopping"]([]) as processes:
        for index in range(2):
            processes.append(launcher["start"](script, cluster, ("worker", index)))
        assert launcher["wait_all"](processes, timeout_s=60) == {"worker0": 0, "worker1": 0}
    for index in range(2):
        printed = launcher["task_output"](f"worker{index}")[0].removeprefix("[tf] ")
        assert json.loads(printed) == {"cluster": cluster, "task": {"type": "worker", "index": index}}


def test_timeout_and_failure_stop_every_process(launcher):
    cluster = launcher["make_cluster"](worker=1, ps=1)
    sleeper = _script("sleeper.py", "import time; time.sleep(600)")
    with pytest.raises(subprocess.TimeoutExpired):
        with launcher["stopping"]([]) as processes:
            processes.append(launcher["start"](sleeper, cluster, ("ps", 0)))
            processes.append(launcher["start"](sleeper, cluster, ("worker", 0)))
            launcher["wait_all"](processes, timeout_s=1)
    assert all(p.poll() is not None for p in processes)


def test_a_server_that_ignores_sigterm_is_killed(launcher):
    # stopping() waits 10 s after SIGTERM, then sends SIGKILL.
    stubborn = _script("stubborn.py", "import signal, time\n"
                       "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                       "print('[s] ready', flush=True)\ntime.sleep(600)\n")
    with launcher["stopping"]([]) as processes:
        processes.append(launcher["start"](stubborn, {"ps": ["localhost:1"]}, ("ps", 0)))
        for _ in range(100):  # wait until it has installed its handler
            if launcher["task_output"]("ps0"):
                break
            time.sleep(0.1)
    assert processes[0].returncode is not None


def test_bad_input_is_refused_clearly(launcher):
    with pytest.raises(ValueError, match="positive number of tasks"):
        launcher["make_cluster"](worker=0)
    cluster = launcher["make_cluster"](worker=1)
    with pytest.raises(FileNotFoundError, match="no script"):
        launcher["start"]("missing.py", cluster, ("worker", 0))
    script = _script("ok.py", "pass")
    with pytest.raises(ValueError, match="not in the cluster"):
        launcher["start"](script, cluster, ("worker", 1))

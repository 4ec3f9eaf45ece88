"""Run a TensorFlow cluster on localhost: one process per script, each with its own
TF_CONFIG. The OS picks the ports, every wait has a deadline, and `stopping` stops
every process when its block ends, also when a task fails or a wait times out."""

# --8<-- [start:launcher]
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def make_cluster(**tasks):
    """make_cluster(worker=2) -> {"worker": ["localhost:41234", "localhost:41235"]}."""
    bad = {job: n for job, n in tasks.items() if not isinstance(n, int) or n < 1}
    if bad:
        raise ValueError(f"each job needs a positive number of tasks, got {bad}")
    sockets = [socket.socket() for _ in range(sum(tasks.values()))]
    for s in sockets:
        s.bind(("localhost", 0))  # port 0: the OS picks a free, ephemeral port
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()  # released just before TensorFlow binds them
    ports = iter(ports)
    return {job: [f"localhost:{next(ports)}" for _ in range(n)] for job, n in tasks.items()}


def start(script, cluster, task=None, env=None, logs=Path("logs")):
    """Run `python script` with TF_CONFIG = the cluster and this process's task.
    Its output goes to logs/<job><index>.log (logs/<script>.log without a task)."""
    if not Path(script).is_file():
        raise FileNotFoundError(f"no script {script!r} (relative to {os.getcwd()})")
    if task and not 0 <= task[1] < len(cluster.get(task[0], [])):
        raise ValueError(f"task {task} is not in the cluster {sorted(cluster)}")
    tf_config = {"cluster": cluster}
    if task:
        tf_config["task"] = {"type": task[0], "index": task[1]}
    name = f"{task[0]}{task[1]}" if task else Path(script).stem
    logs.mkdir(exist_ok=True)
    with open(logs / f"{name}.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, script], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {}), "TF_CONFIG": json.dumps(tf_config)})
    process.name, process.tf_config = name, tf_config
    return process


@contextlib.contextmanager
def stopping(processes):
    """Whatever happens in the block, stop every process in the list at its end."""
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def wait_all(processes, timeout_s):
    """Exit code of each process; TimeoutExpired if they are not all done in timeout_s."""
    deadline = time.monotonic() + timeout_s
    return {p.name: p.wait(timeout=max(0.1, deadline - time.monotonic())) for p in processes}


def task_output(name, logs=Path("logs")):
    """The lines a task printed itself ("[worker 0] ..."), without TensorFlow's log lines."""
    return [line for line in (logs / f"{name}.log").read_text().splitlines() if line.startswith("[")]
# --8<-- [end:launcher]

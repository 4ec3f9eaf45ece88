"""Run a TensorFlow cluster on localhost: one process per task, each with its own
TF_CONFIG. Ports are picked by the OS, every wait has a deadline, and every process
is stopped when run_cluster returns, also when a task fails or times out."""

# --8<-- [start:launcher]
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def make_cluster(**tasks):
    """make_cluster(worker=2) -> {"worker": ["localhost:41234", "localhost:41235"]}."""
    sockets = []
    for _ in range(sum(tasks.values())):
        s = socket.socket()
        s.bind(("localhost", 0))  # port 0: the OS picks a free (ephemeral) port
        sockets.append(s)
    ports = iter(s.getsockname()[1] for s in sockets)
    cluster = {job: [f"localhost:{next(ports)}" for _ in range(n)] for job, n in tasks.items()}
    for s in sockets:
        s.close()  # free them just before TensorFlow binds them
    return cluster


def run_cluster(cluster, scripts, wait_for, timeout_s, env=None, logs="logs"):
    """Start scripts[job] once per task of each job; wait (at most timeout_s) for the
    tasks of the jobs in wait_for to exit; stop all others. Returns {task: exit code}."""
    Path(logs).mkdir(exist_ok=True)
    processes = {}
    try:
        for job, addresses in cluster.items():
            for index in range(len(addresses)):
                tf_config = {"cluster": cluster, "task": {"type": job, "index": index}}
                with open(Path(logs) / f"{job}{index}.log", "w") as log:
                    processes[f"{job}{index}"] = subprocess.Popen(
                        [sys.executable, scripts[job]],
                        env={**os.environ, **(env or {}), "TF_CONFIG": json.dumps(tf_config)},
                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        return {name: process.wait(timeout=max(0.1, deadline - time.monotonic()))
                for name, process in processes.items() if name.rstrip("0123456789") in wait_for}
    finally:  # servers never exit on their own; failures must not leave workers behind
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def task_output(name, logs="logs"):
    """What a task printed itself (lines starting with [task]), without TF's log lines."""
    lines = (Path(logs) / f"{name}.log").read_text().splitlines()
    return [line for line in lines if line.startswith("[")]
# --8<-- [end:launcher]

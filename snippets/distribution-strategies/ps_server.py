"""Parameter-server and worker tasks of a ParameterServerStrategy cluster. They only
serve: the coordinator (ps_coordinator.py) places variables on them and sends them steps.
Every machine runs `python ps_server.py` with its own TF_CONFIG."""

# --8<-- [start:server]
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
# Lets the coordinator see a failed worker or ps and recover (TF's PS tutorial; all tasks).
os.environ["GRPC_FAIL_FAST"] = "use_caller"

import json

import tensorflow as tf


def serve():
    tf_config = json.loads(os.environ["TF_CONFIG"])
    spec = tf.train.ClusterSpec(tf_config["cluster"])
    # One task per machine in production: TF_CONFIG names it. Without a task, serve all
    # ps and worker tasks of the cluster in this process (a whole test cluster at once).
    task = tf_config.get("task")
    tasks = ([(task["type"], task["index"])] if task else
             [(job, i) for job in ("ps", "worker") for i in range(spec.num_tasks(job))])
    # On few cores, a server whose inter-op thread pool is smaller than workers + 1 can
    # hang: all its threads block on remote steps that need one more thread to finish.
    config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=spec.num_tasks("worker") + 1)
    servers = [tf.distribute.Server(spec, job_name=job, task_index=i, protocol="grpc",
                                    config=config, start=True) for job, i in tasks]
    for (job, i), server in zip(tasks, servers):
        print(f"[{job} {i}] serving at {server.target}", flush=True)
    servers[0].join()  # serve until stopped
# --8<-- [end:server]


serve()

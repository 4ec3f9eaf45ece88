"""Parameter-server and worker tasks of a ParameterServerStrategy cluster: they only
serve; the coordinator (ps_coordinator.py) places variables on them and sends them steps.

On real machines, each runs this script with TF_CONFIG naming its own task. Without a
task in TF_CONFIG, the script serves every ps and worker task of the cluster itself:
a whole test cluster in one process (that is how the page runs it, to import
TensorFlow once instead of three times on a 2-core runner)."""

# --8<-- [start:server]
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import json

import tensorflow as tf

tf_config = json.loads(os.environ["TF_CONFIG"])
spec = tf.train.ClusterSpec(tf_config["cluster"])
task = tf_config.get("task")
tasks = ([(task["type"], task["index"])] if task else
         [(job, i) for job in ("ps", "worker") for i in range(spec.num_tasks(job))])
# With few cores, a server whose inter-op thread pool is smaller than workers + 1 can
# hang: its threads all block on remote steps that need one more thread to finish.
config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=spec.num_tasks("worker") + 1)
servers = [tf.distribute.Server(spec, job_name=job, task_index=i, protocol="grpc",
                                config=config, start=True) for job, i in tasks]
for (job, i), server in zip(tasks, servers):
    print(f"[{job} {i}] serving at {server.target}", flush=True)
servers[0].join()  # serve until stopped
# --8<-- [end:server]

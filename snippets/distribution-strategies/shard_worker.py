"""One worker of a MultiWorkerMirroredStrategy job that only reads data: it prints which
examples reach it under each tf.data auto-shard policy. Every worker runs this same file
with its own TF_CONFIG (run_shard.py does that on localhost), after shards/ was written."""

# --8<-- [start:worker]
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"

import json
from pathlib import Path

import tensorflow as tf

Policy = tf.data.experimental.AutoShardPolicy


def report_shards(global_batch=4):
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    say = lambda *args: print(f"[worker {task['index']}]", *args, flush=True)

    def received(dataset, policy):
        """Every example this worker's replicas get, as fit() would hand them over."""
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = policy
        distributed = strategy.experimental_distribute_dataset(dataset.with_options(options))
        try:
            return " ".join(sorted(
                line.decode() for batch in distributed
                for part in strategy.experimental_local_results(batch) for line in part.numpy()))
        except tf.errors.OpError as error:  # the worker whose iterator failed says why
            return error.message.split("}} ")[-1].split(" If you")[0]

    files = sorted(str(path) for path in Path("shards").glob("part-*.txt"))  # shared storage
    from_files = tf.data.TextLineDataset(files).batch(global_batch)
    say("FILE:", received(from_files, Policy.FILE))
    say("DATA:", received(from_files, Policy.DATA))
    say("AUTO, files:", received(from_files, Policy.AUTO))
    in_memory = tf.data.Dataset.from_tensor_slices([f"m{i}" for i in range(8)])
    say("AUTO, from_tensor_slices:", received(in_memory.batch(global_batch), Policy.AUTO))
    say("OFF:", received(from_files, Policy.OFF))
    # Last, because a failed input step aborts the job's collectives.
    say("FILE, one file:", received(tf.data.TextLineDataset(files[:1]).batch(global_batch), Policy.FILE))
# --8<-- [end:worker]


report_shards()

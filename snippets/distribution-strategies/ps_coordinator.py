"""The coordinator (the "chief" task) of a ParameterServerStrategy cluster: it creates
the variables on the parameter servers and dispatches training steps to the workers."""

# --8<-- [start:coordinator]
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # Keras 3 has no ParameterServerStrategy support
# Lets the coordinator see a failed worker or ps and recover (TF's PS tutorial; all tasks).
os.environ["GRPC_FAIL_FAST"] = "use_caller"

import runpy

import numpy as np
import tensorflow as tf


def coordinate(epochs=3, steps_per_epoch=20):
    resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()  # reads TF_CONFIG
    # Variables of 4 KiB and more are split over (at most) all parameter servers; smaller
    # ones are placed whole, round-robin. Real models use shards of 256 KiB and more.
    partitioner = tf.distribute.experimental.partitioners.MinSizePartitioner(
        min_shard_bytes=4 << 10, max_shards=resolver.cluster_spec().num_tasks("ps"))
    strategy = tf.distribute.ParameterServerStrategy(resolver, variable_partitioner=partitioner)
    shared = runpy.run_path("snippets/distribution-strategies/model.py")
    data = np.load("digits.npz")
    with strategy.scope():
        model = shared["make_model"]()  # the variables are created on the parameter servers

    def dataset_fn(input_context):
        # Runs on each worker: its own input pipeline over its own share of the data.
        batch = input_context.get_per_replica_batch_size(shared["GLOBAL_BATCH"])
        dataset = shared["make_dataset"](data["x"], data["y"], batch)
        return dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)

    # steps_per_epoch is required: the datasets are endless and workers run independently.
    history = model.fit(tf.keras.utils.experimental.DatasetCreator(dataset_fn),
                        epochs=epochs, steps_per_epoch=steps_per_epoch, verbose=0)
    losses = history.history["loss"]
    print("[chief] loss per epoch:", [round(loss, 2) for loss in losses])
    print("[chief] loss went down:", losses[-1] < losses[0])
    for weight in model.trainable_weights:  # a split variable shows up as its parts
        job, task = weight.device.split("/")[1][4:], weight.device.split("/")[3][5:]
        print(f"[chief] {weight.name} {tuple(weight.shape)} on {job} {task}")
# --8<-- [end:coordinator]


coordinate()

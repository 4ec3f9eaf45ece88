"""The coordinator ("chief") of a ParameterServerStrategy cluster: it creates the
variables on the parameter servers and dispatches training steps to the workers."""

# --8<-- [start:coordinator]
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # Keras 3 has no ParameterServerStrategy support

import runpy

import numpy as np
import tensorflow as tf

resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
strategy = tf.distribute.ParameterServerStrategy(resolver)
shared = runpy.run_path("snippets/strategies/model.py")
data = np.load("digits.npz")

with strategy.scope():
    model = shared["make_model"]()  # variables are created on the parameter server(s)


def dataset_fn(input_context):
    # Runs on each worker: its own pipeline and its own share of the data.
    batch = input_context.get_per_replica_batch_size(shared["GLOBAL_BATCH"])
    dataset = shared["make_dataset"](data["x"], data["y"], batch)
    return dataset.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)


history = model.fit(tf.keras.utils.experimental.DatasetCreator(dataset_fn),
                    epochs=3, steps_per_epoch=20, verbose=0)
print("[chief] loss per epoch:", [round(loss, 2) for loss in history.history["loss"]])
places = sorted({v.device.split("/device")[0] for v in model.trainable_variables})
print("[chief] variables live on:", places)
# --8<-- [end:coordinator]

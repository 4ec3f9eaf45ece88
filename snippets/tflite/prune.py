"""Prune the trained digits CNN to 80 % zeros with the TensorFlow Model
Optimization toolkit (TF-MOT), then convert it to .tflite.

A process of its own: TF-MOT prunes Keras 2 (tf_keras) models, and
TF_USE_LEGACY_KERAS must be set before TensorFlow is imported.
"""
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before importing TensorFlow

import sys
from pathlib import Path

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras

# The page's architecture and data, from snippets/tflite and snippets/common.
here = Path(__file__).resolve().parent
sys.path[:0] = [str(here), str(here.parent / "common")]
from architecture import build_model
from digits import x_test, x_train, y_test, y_train

tf_keras.utils.set_random_seed(0)
model = build_model(tf_keras)
# Start from the trained Keras 3 model: the page saved its weights.
if not Path("digits_weights.npz").exists():
    sys.exit("digits_weights.npz not found: run the page's export step first")
weights = np.load("digits_weights.npz")
model.set_weights([weights[name] for name in weights.files])

# prune_low_magnitude(model) rejects layers it has no pruning rule for,
# such as Rescaling: wrap only the layers with kernels. From step 0, the
# smallest 80 % of each kernel is zero, and stays zero while fine-tuning
# lets the other weights make up for it.
schedule = tfmot.sparsity.keras.ConstantSparsity(0.8, begin_step=0,
                                                 frequency=10)


def prune(layer):
    if isinstance(layer, (tf_keras.layers.Conv2D, tf_keras.layers.Dense)):
        return tfmot.sparsity.keras.prune_low_magnitude(
            layer, pruning_schedule=schedule)
    return layer


pruning = tf_keras.models.clone_model(model, clone_function=prune)
pruning.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                metrics=["accuracy"])
pruning.fit(x_train, y_train, epochs=2, batch_size=32, verbose=0,
            callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
accuracy = pruning.evaluate(x_test, y_test, verbose=0)[1]
print(f"Keras test accuracy after pruning: {accuracy:.3f}")

# Plain layers again, with zeros in their kernels.
pruned = tfmot.sparsity.keras.strip_pruning(pruning)
kernels = [layer.kernel.numpy() for layer in pruned.layers
           if hasattr(layer, "kernel")]
zeros = sum(int((k == 0).sum()) for k in kernels)
total = sum(k.size for k in kernels)
print(f"kernel weights that are zero: {zeros / total:.2f}")

converter = tf.lite.TFLiteConverter.from_keras_model(pruned)
Path("digits_pruned.tflite").write_bytes(converter.convert())
converter.optimizations = [tf.lite.Optimize.DEFAULT]  # then int8 weights
Path("digits_pruned_dynamic_range.tflite").write_bytes(converter.convert())

# For the page's sparse conversions, which export the pruned weights from
# the Keras 3 model as the page exported the dense ones.
np.savez("digits_pruned_weights.npz", *pruned.get_weights())

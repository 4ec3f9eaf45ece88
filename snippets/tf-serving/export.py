"""Train the digits classifier and export it as a numbered SavedModel version: the one model
every serving page serves. The page includes snippets/common/digits.py:load before it."""

# --8<-- [start:export]
import os
import shutil
from pathlib import Path

import keras


def train_digits(hidden=32, epochs=20, seed=0):
    """A small classifier that takes raw uint8 pixels and scales them itself, so clients send
    what they have (8x8 grey levels) and the scaling can never drift from training."""
    keras.utils.set_random_seed(seed)
    pixels = keras.Input(shape=(8, 8, 1), dtype="uint8", name="pixels")  # the request's input key
    x = keras.layers.Rescaling(1 / 255)(pixels)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(hidden, activation="relu")(x)
    probabilities = keras.layers.Dense(10, activation="softmax", name="probabilities")(x)
    model = keras.Model(pixels, probabilities)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=64, verbose=0)
    return model


def export_version(model, base_path, version):
    """Write base_path/<version>: TF Serving serves only numbered subdirectories of a base path.

    The SavedModel is written next to its final place and renamed into it, so a server that
    polls base_path never sees a half-written version (a rename within a filesystem is atomic).
    """
    if not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be a positive integer, got {version!r}")
    target = Path(base_path) / str(version)
    if target.exists():
        raise FileExistsError(f"{target} exists: versions are immutable, export a new number")
    staging = Path(base_path) / f".{version}.staging"  # not a number: the server ignores it
    shutil.rmtree(staging, ignore_errors=True)
    model.export(str(staging), verbose=False)
    os.rename(staging, target)
    return target
# --8<-- [end:export]

# --8<-- [start:config-models]
# What docker/models.config serves: digits (version 1) and digits_ab (versions 1 and 2).
model = train_digits()
model_b = train_digits(hidden=64, seed=1)
export_version(model, "models/digits", 1)
export_version(model, "models/digits_ab", 1)
export_version(model_b, "models/digits_ab", 2)
print(sorted(str(path) for path in Path("models").glob("*/*")))
# --8<-- [end:config-models]

# --8<-- [start:png-input]
import tensorflow as tf


class DecodePng(keras.layers.Layer):
    """Encoded PNG bytes -> uint8 pixels, inside the model: clients send the file as it is."""

    def call(self, png):
        return tf.map_fn(self._decode, png, fn_output_signature=tf.TensorSpec((8, 8, 1), tf.uint8))

    @staticmethod
    def _decode(one_png):
        return tf.ensure_shape(tf.io.decode_png(one_png, channels=1), (8, 8, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 8, 8, 1)


def with_png_input(model):
    """The same classifier behind a string input named "png" (one encoded image per row)."""
    png = keras.Input(shape=(), dtype="string", name="png")
    return keras.Model(png, model(DecodePng(dtype="uint8")(png)))
# --8<-- [end:png-input]

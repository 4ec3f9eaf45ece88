"""Train a small digits classifier and export it as a SavedModel that TF Serving can load.

The model takes raw uint8 pixels and rescales them itself, so a client sends exactly what
the camera or file gives it, and the export carries the preprocessing along."""

# --8<-- [start:build]
import keras
import numpy as np
import tensorflow as tf

keras.utils.set_random_seed(0)  # same weights, same printed numbers, on every run

# Name the input: that name becomes the input key of every signature.
pixels = keras.Input(shape=(8, 8, 1), dtype="uint8", name="pixels")
x = keras.layers.Rescaling(1 / 255)(pixels)  # uint8 0..255 -> float32 0..1, inside the model
x = keras.layers.Flatten()(x)
x = keras.layers.Dense(64, activation="relu")(x)
probabilities = keras.layers.Dense(10, activation="softmax")(x)
model = keras.Model(pixels, probabilities, name="digits")
# --8<-- [end:build]

# --8<-- [start:train]
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=32, verbose=0)
_, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.2f}")
# --8<-- [end:train]

# --8<-- [start:export]
# <base path>/<version>: TF Serving is pointed at models/digits and loads the highest number.
model.export("models/digits/1")
# --8<-- [end:export]

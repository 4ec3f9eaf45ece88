"""The digits CNN, written once for both Keras versions: the page trains it with Keras 3,
and prune.py rebuilds it with tf_keras (Keras 2), which TF-MOT requires."""


# --8<-- [start:build]
def build_model(keras):
    """A CNN for 8x8 digits, wider than the task needs so that size and latency differences show.

    `keras` is the Keras module to build with: Keras 3's `keras` or Keras 2's `tf_keras`.
    """
    pixels = keras.Input(shape=(8, 8, 1), dtype="uint8", name="pixels")  # raw pixels, as a device sends them
    x = keras.layers.Rescaling(1 / 255, name="rescale")(pixels)  # preprocessing inside the model
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dropout(0.2, name="dropout")(x)  # training only: inference skips it
    x = keras.layers.Dense(256, activation="relu", name="hidden")(x)  # 1024 x 256: most of the weights
    digit = keras.layers.Dense(10, activation="softmax", name="digit")(x)
    return keras.Model(pixels, digit, name="digits_cnn")
# --8<-- [end:build]

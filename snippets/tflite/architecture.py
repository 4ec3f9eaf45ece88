"""The digits CNN, written once for both Keras versions: the page trains it
with Keras 3, prune.py rebuilds it with tf_keras (Keras 2) for TF-MOT."""


# --8<-- [start:build]
def build_model(keras):
    """A CNN for 8x8 digits, wider than the task needs, so that differences
    in size and latency between converted variants are large enough to see.

    `keras` is the module to build with: Keras 3's `keras`, or `tf_keras`.
    """
    layers = keras.layers
    # Raw pixels in, as a device sends them; rescaling is part of the model.
    pixels = keras.Input(shape=(8, 8, 1), dtype="uint8", name="pixels")
    x = layers.Rescaling(1 / 255, name="rescale")(pixels)
    x = layers.Conv2D(32, 3, padding="same", activation="relu",
                      name="conv1")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu",
                      name="conv2")(x)
    x = layers.MaxPooling2D(name="pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.2, name="dropout")(x)  # training only
    # 1024 x 256: most of the model's weights are here.
    x = layers.Dense(256, activation="relu", name="hidden")(x)
    digit = layers.Dense(10, activation="softmax", name="digit")(x)
    return keras.Model(pixels, digit, name="digits_cnn")
# --8<-- [end:build]

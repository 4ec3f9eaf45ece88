"""The small digits CNN both sections train: built from layers TF-MOT knows how to quantize."""

# --8<-- [start:build]
# Raw 0..255 pixel values, as float32: the models below take them as they are.
x_train_f, x_test_f = x_train.astype(np.float32), x_test.astype(np.float32)


def build_float_model():
    pixels = keras.Input(shape=(8, 8, 1), name="pixels")
    x = keras.layers.Conv2D(16, 3, use_bias=False, name="conv")(pixels)
    # No Rescaling layer (quantize_model refuses it, see below): BatchNormalization learns the
    # scale of raw pixels, and the converter folds it into the conv weights.
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    logits = keras.layers.Dense(10, name="logits")(x)
    return keras.Model(pixels, logits, name="digits_small")


def compile_for_training(model):
    """The same optimizer and loss for float training and for QAT fine-tuning."""
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def train_float(seed, epochs=10):
    keras.utils.set_random_seed(seed)  # seeds Python, NumPy and TensorFlow
    model = compile_for_training(build_float_model())
    model.fit(x_train_f, y_train, epochs=epochs, batch_size=32, verbose=0)
    return model
# --8<-- [end:build]

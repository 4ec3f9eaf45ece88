"""Train the digits CNN with Keras 3; export the SavedModel to convert."""

# --8<-- [start:train]
import keras
import numpy as np

keras.utils.set_random_seed(0)  # seeds Python, NumPy and TensorFlow
model = build_model(keras)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=4, batch_size=32, verbose=0)
print(f"parameters: {model.count_params():,}")
keras_accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
print(f"Keras test accuracy: {keras_accuracy:.3f}")
# --8<-- [end:train]

# --8<-- [start:export]
# Serving signature: uint8 "pixels" in, class probabilities out.
model.export("digits_savedmodel", verbose=False)
# For prune.py, which rebuilds the model in Keras 2 and loads these.
np.savez("digits_weights.npz", *model.get_weights())
# --8<-- [end:export]

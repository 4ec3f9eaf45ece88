"""A SavedModel is for serving; a .keras file is for Keras. What each one gives back."""

# --8<-- [start:load-model-refuses]
try:
    keras.models.load_model("models/digits/1")
except ValueError as error:
    print(error)
# --8<-- [end:load-model-refuses]

# --8<-- [start:tfsmlayer]
layer = keras.layers.TFSMLayer("models/digits/1", call_endpoint="serving_default")
outputs = layer(x_test[:5])  # the signature's dict, wrapped as a Keras layer
print({key: tuple(value.shape) for key, value in outputs.items()})
print("predicted:", outputs["output_0"].numpy().argmax(axis=1))
print(hasattr(layer, "layers"), hasattr(layer, "optimizer"))  # no architecture, no optimizer
# --8<-- [end:tfsmlayer]

# --8<-- [start:keras-file]
model.save("digits.keras")  # architecture + weights + optimizer state + compile config
restored = keras.models.load_model("digits.keras")
print(type(restored).__name__, restored.optimizer.__class__.__name__,
      "steps already taken:", int(restored.optimizer.iterations))
print("same predictions:", np.allclose(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0)))

history = restored.fit(x_train, y_train, epochs=1, batch_size=32, verbose=0)  # resumes, no recompile
print("steps after one more epoch:", int(restored.optimizer.iterations))
# --8<-- [end:keras-file]

# --8<-- [start:save-pitfalls]
try:
    model.save("models/digits/1")  # tf.keras 2 habit: a path without extension meant "SavedModel"
except ValueError as error:
    print("ValueError:", error)

try:
    model.save("models/digits/1", save_format="tf")
except ValueError as error:
    print("ValueError:", error)
# --8<-- [end:save-pitfalls]

# --8<-- [start:h5]
model.save("digits.h5")  # legacy HDF5: Keras warns (on stderr) but still writes and reads it
from_h5 = keras.models.load_model("digits.h5")
print("same predictions:", np.allclose(from_h5.predict(x_test, verbose=0), model.predict(x_test, verbose=0)),
      "| optimizer steps:", int(from_h5.optimizer.iterations))
# --8<-- [end:h5]

# --8<-- [start:tflite]
converter = tf.lite.TFLiteConverter.from_saved_model("models/digits/1")
flatbuffer = converter.convert()  # bytes: one FlatBuffer, graph and weights together
Path("digits.tflite").write_bytes(flatbuffer)

from ai_edge_litert.interpreter import Interpreter

interpreter = Interpreter(model_path="digits.tflite")
print([(d["name"], d["dtype"].__name__, d["shape"].tolist()) for d in interpreter.get_input_details()])
print(interpreter.get_signature_list())
# --8<-- [end:tflite]

"""int8 end to end: with a float input, inference_input_type applies."""

# --8<-- [start:float-input]
# float32, carrying raw 0..255 values.
pixels = keras.Input(shape=(8, 8, 1), name="pixels")
x = pixels
for layer in model.layers[1:]:  # the trained layers: weights are shared
    x = layer(x)
keras.Model(pixels, x).export("digits_float_input", verbose=False)


def float_training_pixels():
    for image in x_train[:200]:
        yield [image[np.newaxis].astype(np.float32)]


integer_only = int8_converter(float_training_pixels,
                              "digits_float_input").convert()
Path("digits_int8_integer_only.tflite").write_bytes(integer_only)
interpreter = load(integer_only)
source = interpreter.get_input_details()[0]
print("input", source["dtype"].__name__,
      "scale, zero point:", source["quantization"])
print("first ops:",
      [op["op_name"] for op in interpreter._get_ops_details()[:2]])
# --8<-- [end:float-input]

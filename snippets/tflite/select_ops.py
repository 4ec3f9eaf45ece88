"""An op with no TFLite builtin: conversion fails, SELECT_TF_OPS converts
it, and then the runtime needs the Flex delegate."""

# --8<-- [start:select]
spec = tf.TensorSpec([None, 8, 8, 1], tf.float32, name="pixels")


@tf.function(input_signature=[spec])
def thicken_strokes(pixels):
    """Grey-scale dilation with a flat 3x3 window (TF's Dilation2D)."""
    return tf.nn.dilation2d(pixels, tf.zeros([3, 3, 1]), strides=[1] * 4,
                            padding="SAME", data_format="NHWC",
                            dilations=[1] * 4)


def convert_with(*op_sets, function=thicken_strokes):
    converter = tf.lite.TFLiteConverter.from_concrete_functions(
        [function.get_concrete_function()], function)
    converter.target_spec.supported_ops = list(op_sets)
    return converter.convert()


def op_names(model):
    return [op["op_name"]
            for op in Interpreter(model_content=model)._get_ops_details()]


try:
    convert_with(tf.lite.OpsSet.TFLITE_BUILTINS)  # the default
except Exception as error:  # convert_phase.ConverterError
    summary = next(line for line in str(error).splitlines()
                   if line.startswith("TF Select ops"))
    print(type(error).__name__, "-", summary)

flex_model = convert_with(tf.lite.OpsSet.TFLITE_BUILTINS,
                          tf.lite.OpsSet.SELECT_TF_OPS)
print("converted ops:", op_names(flex_model))
# LiteRT's pip package, then TensorFlow 2.21's own interpreter.
for runtime in (Interpreter, tf.lite.Interpreter):
    try:
        runtime(model_content=flex_model).allocate_tensors()
    except RuntimeError as error:
        print(f"{runtime.__module__}:\n  {str(error).split('.')[0]}")


@tf.function(input_signature=[spec])
def thicken_strokes_with_builtins(pixels):
    """The same dilation: a 3x3 max pooling with stride 1."""
    return tf.nn.max_pool2d(pixels, ksize=3, strides=1, padding="SAME")


images = x_test[:50].astype(np.float32)
print("same output:", np.array_equal(thicken_strokes(images),
                                     thicken_strokes_with_builtins(images)))
builtin_model = convert_with(tf.lite.OpsSet.TFLITE_BUILTINS,
                             function=thicken_strokes_with_builtins)
print("converted ops:", op_names(builtin_model))
# --8<-- [end:select]

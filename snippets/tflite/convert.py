"""Four conversions of the same SavedModel: float32, dynamic range, float16 and full-integer int8."""

# --8<-- [start:float32]
from pathlib import Path

import tensorflow as tf


def converter():
    """A fresh converter per variant: options are attributes, and would carry over otherwise."""
    return tf.lite.TFLiteConverter.from_saved_model("digits_savedmodel")


Path("digits_float32.tflite").write_bytes(converter().convert())  # no optimization: float32 weights
# --8<-- [end:float32]

# --8<-- [start:dynamic-range]
dynamic_range = converter()
dynamic_range.optimizations = [tf.lite.Optimize.DEFAULT]  # int8 weights; activations stay float
Path("digits_dynamic_range.tflite").write_bytes(dynamic_range.convert())
# --8<-- [end:dynamic-range]

# --8<-- [start:float16]
float16 = converter()
float16.optimizations = [tf.lite.Optimize.DEFAULT]
float16.target_spec.supported_types = [tf.float16]  # float16 weights, computed in float32 on CPUs
Path("digits_float16.tflite").write_bytes(float16.convert())
# --8<-- [end:float16]

# --8<-- [start:int8]
def training_pixels():
    """Calibration data: real inputs, with the dtype and scale the deployed model receives."""
    for image in x_train[:200]:
        yield [image[np.newaxis]]  # one uint8 image of shape (1, 8, 8, 1) per step


def int8_converter(representative_dataset):
    full_integer = converter()
    full_integer.optimizations = [tf.lite.Optimize.DEFAULT]
    full_integer.representative_dataset = representative_dataset  # measures activation ranges
    # Fail the conversion rather than silently keep an op in float.
    full_integer.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    full_integer.inference_input_type = tf.int8  # applies to float inputs; our uint8 input stays uint8
    full_integer.inference_output_type = tf.int8
    return full_integer


Path("digits_int8.tflite").write_bytes(int8_converter(training_pixels).convert())
# --8<-- [end:int8]

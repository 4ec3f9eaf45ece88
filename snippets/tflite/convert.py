"""One SavedModel, four conversions: float32, dynamic range, float16, int8."""

# --8<-- [start:float32]
from pathlib import Path

import tensorflow as tf


def converter(saved_model="digits_savedmodel"):
    """A fresh converter per variant: its options are attributes."""
    return tf.lite.TFLiteConverter.from_saved_model(saved_model)


# No optimization: the float32 weights, in a FlatBuffer.
Path("digits_float32.tflite").write_bytes(converter().convert())
# --8<-- [end:float32]

# --8<-- [start:dynamic-range]
dynamic_range = converter()
# int8 weights; activations stay float32.
dynamic_range.optimizations = [tf.lite.Optimize.DEFAULT]
Path("digits_dynamic_range.tflite").write_bytes(dynamic_range.convert())
# --8<-- [end:dynamic-range]

# --8<-- [start:float16]
float16 = converter()
float16.optimizations = [tf.lite.Optimize.DEFAULT]
# float16 weights; a CPU computes in float32 all the same.
float16.target_spec.supported_types = [tf.float16]
Path("digits_float16.tflite").write_bytes(float16.convert())
# --8<-- [end:float16]

# --8<-- [start:int8]
def training_pixels():
    """Calibration data: real inputs, with the dtype and scale the
    deployed model receives: one uint8 image (1, 8, 8, 1) per step."""
    for image in x_train[:200]:
        yield [image[np.newaxis]]


def int8_converter(representative_dataset, saved_model="digits_savedmodel"):
    full_integer = converter(saved_model)
    full_integer.optimizations = [tf.lite.Optimize.DEFAULT]
    # Run to record the range of every activation.
    full_integer.representative_dataset = representative_dataset
    # Fail, rather than quietly keep an op in float.
    full_integer.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    # Applies to float inputs only: our uint8 input stays uint8.
    full_integer.inference_input_type = tf.int8
    full_integer.inference_output_type = tf.int8
    return full_integer


int8 = int8_converter(training_pixels).convert()
Path("digits_int8.tflite").write_bytes(int8)
# --8<-- [end:int8]

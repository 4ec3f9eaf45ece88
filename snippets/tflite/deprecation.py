"""tf.lite.Interpreter still exists in TensorFlow 2.21, and warns."""

# --8<-- [start:warning]
import textwrap
import warnings

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    tf.lite.Interpreter(model_path="digits_float32.tflite")
print("TensorFlow", tf.__version__)
print(textwrap.fill(" ".join(str(caught[0].message).split()), 76))
# --8<-- [end:warning]

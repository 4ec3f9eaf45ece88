"""Process-wide setup for the QAT page: TF-MOT wraps Keras 2 (tf_keras) models only."""

# --8<-- [start:legacy-keras]
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported; it is read once, at import

import numpy as np
import tensorflow as tf
import tensorflow_model_optimization as tfmot
import tf_keras as keras  # the Keras that TF-MOT's wrappers are written for

tf_keras_package = tf.keras.__name__.split(".")[0]  # which package tf.keras resolved to
print("TensorFlow", tf.__version__, "| tf.keras is", tf_keras_package, keras.__version__)
print("TF-MOT", tfmot.__version__)
# --8<-- [end:legacy-keras]

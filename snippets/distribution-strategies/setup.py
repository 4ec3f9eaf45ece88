"""The page's first block: tf_keras instead of Keras 3, before TensorFlow is imported."""

# --8<-- [start:legacy-keras]
import os

# Must be set before TensorFlow is imported: tf.keras is then tf_keras (Keras 2), whose
# model.fit supports MultiWorkerMirroredStrategy and ParameterServerStrategy.
os.environ["TF_USE_LEGACY_KERAS"] = "1"
# --8<-- [end:legacy-keras]

# --8<-- [start:versions]
import tf_keras

print("TensorFlow", tf.__version__, "| tf.keras is", tf.keras.__name__.split(".")[0], tf_keras.__version__)
# --8<-- [end:versions]

import numpy as np

# --8<-- [start:share-data]
np.savez("digits.npz", x=x_train, y=y_train)  # what every worker reads: shared storage
# --8<-- [end:share-data]

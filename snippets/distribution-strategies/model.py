"""The model and input pipeline every strategy on the page trains, in tf_keras.

The page and the worker scripts share it: the page includes the section, the workers
run this file with runpy. Needs TF_USE_LEGACY_KERAS=1 set before TensorFlow is imported."""

import tensorflow as tf

# --8<-- [start:model]
GLOBAL_BATCH = 64  # per optimizer step, summed over all replicas of all workers


def make_model():
    """Build and compile inside strategy.scope(): that is where variables get placed."""
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(8, 8, 1), name="pixels"),
        tf.keras.layers.Rescaling(1 / 255),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(32, activation="relu", name="hidden"),
        tf.keras.layers.Dense(10, name="logits"),
    ])
    model.compile(
        optimizer=tf.keras.optimizers.SGD(learning_rate=0.1),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def make_dataset(x, y, batch_size=GLOBAL_BATCH):
    """Endless, shuffled, batched examples; fit() then needs steps_per_epoch."""
    return (tf.data.Dataset.from_tensor_slices((x, y))
            .shuffle(len(x), seed=0).repeat().batch(batch_size, drop_remainder=True))
# --8<-- [end:model]

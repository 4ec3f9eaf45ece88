"""Data parallelism with MirroredStrategy: one full copy of the model per device,
each copy gets a different slice of every batch, gradients are summed by all-reduce.
Runs after devices.py (two logical CPUs) and common/digits.py (x_train, y_train)."""

# --8<-- [start:model]
import keras
import numpy as np

GLOBAL_BATCH = 64  # what the optimizer sees per step, whatever the number of devices


def make_model():
    keras.utils.set_random_seed(0)  # same initial weights every time we build it
    return keras.Sequential([
        keras.Input(shape=(8, 8, 1), name="pixels"),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu", name="hidden"),
        keras.layers.Dense(10, name="logits"),
    ])


# No shuffling and only full batches: both runs below must see the very same batches.
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).batch(
    GLOBAL_BATCH, drop_remainder=True
)
# --8<-- [end:model]

# --8<-- [start:batches]
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
print("replicas in sync:", strategy.num_replicas_in_sync)
print("global batch:", GLOBAL_BATCH)

# The strategy splits every global batch between the replicas.
x, y = next(iter(strategy.experimental_distribute_dataset(train_ds)))
for part in x.values:
    print("per-replica batch:", part.shape[0], "on", part.device.split("/")[-1])
# --8<-- [end:batches]

# --8<-- [start:allreduce]
with strategy.scope():
    model = make_model()  # variables are created once per replica
sum_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")


@tf.function
def replica_gradients(x, y):
    def step(x, y):
        with tf.GradientTape() as tape:
            # Divide by the GLOBAL batch: the replicas' gradients then add up to the mean.
            loss = sum_loss(y, model(x)) / GLOBAL_BATCH
        local = tape.gradient(loss, model.trainable_variables)
        summed = tf.distribute.get_replica_context().all_reduce("sum", local)
        return local, summed

    return strategy.run(step, args=(x, y))


local, summed = replica_gradients(x, y)
first = lambda grads, r: grads[0].values[r].numpy()  # the hidden kernel, replica r
print("replicas computed different gradients:", not np.allclose(first(local, 0), first(local, 1)))
print("after all-reduce they are identical:", np.array_equal(first(summed, 0), first(summed, 1)))

# The same step on one device, on the whole batch.
single = make_model()
xb, yb = next(iter(train_ds))
with tf.GradientTape() as tape:
    loss = sum_loss(yb, single(xb)) / GLOBAL_BATCH
full = tape.gradient(loss, single.trainable_variables)
gap = max(np.abs(s.values[0].numpy() - f.numpy()).max() for s, f in zip(summed, full))
print("all-reduced gradient == one-device gradient (within 1e-6):", gap < 1e-6)
# A gradient has its variable's shape, so each step all-reduces one float per parameter.
print("floats all-reduced per step (one per parameter):", model.count_params())
# --8<-- [end:allreduce]

# --8<-- [start:same-result]
def train(strategy):
    with strategy.scope():
        model = make_model()
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
    history = model.fit(train_ds, epochs=3, verbose=0)
    return model, history.history["loss"][-1]


one_model, one_loss = train(tf.distribute.get_strategy())  # the default: one device
two_model, two_loss = train(strategy)  # two replicas, same seed, data and global batch
weight_gap = max(
    np.abs(a - b).max() for a, b in zip(one_model.get_weights(), two_model.get_weights())
)
print(f"final loss, 1 device:   {one_loss:.4f}")
print(f"final loss, 2 replicas: {two_loss:.4f}")
print("largest weight difference below 1e-5:", weight_gap < 1e-5)
# --8<-- [end:same-result]

# --8<-- [start:replicated]
kernel = two_model.get_layer("hidden").kernel.value  # the tf.Variable behind the Keras one
print(type(kernel).__name__, "with copies on", [v.device.split("/")[-1] for v in kernel.values])
# Which all-reduce MirroredStrategy chose (private attributes, read for inspection only):
ops = strategy.extended._cross_device_ops
print(type(ops).__name__, ops._options.implementation.value)
# --8<-- [end:replicated]

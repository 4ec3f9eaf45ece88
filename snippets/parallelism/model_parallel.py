"""Model parallelism: the layers of ONE model are split between two devices, and the
activations travel from one to the other. Runs after devices.py and data_parallel.py."""

# --8<-- [start:split]
keras.utils.set_random_seed(0)
with tf.device("/cpu:0"):  # stage 0: first half of the network, its weights live here
    hidden = keras.layers.Dense(32, activation="relu", name="hidden")
    hidden.build((None, 64))
with tf.device("/cpu:1"):  # stage 1: second half, weights on the other device
    logits = keras.layers.Dense(10, name="logits")
    logits.build((None, 32))


def forward(pixels):
    with tf.device("/cpu:0"):
        h = hidden(tf.reshape(tf.cast(pixels, tf.float32) / 255, (-1, 64)))
    with tf.device("/cpu:1"):
        out = logits(h)  # h is copied from CPU:0 to CPU:1 here
    return h, out


with tf.GradientTape() as tape:
    h, out = forward(xb)
    loss = keras.losses.sparse_categorical_crossentropy(yb, out, from_logits=True)
grad_h = tape.gradient(loss, h)  # what the backward pass sends from stage 1 back to stage 0
short = lambda device: device.split("/")[-1]
print("hidden kernel on", short(hidden.kernel.value.device), "| logits kernel on", short(logits.kernel.value.device))
print("activation h computed on", short(h.device), "| output computed on", short(out.device))
print("parameters per stage:", hidden.count_params(), "on CPU:0,", logits.count_params(), "on CPU:1")
print("floats crossing the split per step:", int(tf.size(h)), "forward (h) +",
      int(tf.size(grad_h)), "backward (the gradient of the loss with respect to h)")
# --8<-- [end:split]

# --8<-- [start:train-step]
mean_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
optimizer = keras.optimizers.SGD(learning_rate=0.1)
weights = hidden.trainable_variables + logits.trainable_variables


@tf.function
def train_step(pixels, labels):
    with tf.GradientTape() as tape:
        loss = mean_loss(labels, forward(pixels)[1])
    optimizer.apply(tape.gradient(loss, weights), weights)
    return loss


losses = [float(train_step(xb, yb)) for xb, yb in train_ds]
print(f"one epoch, model split over two devices: loss {losses[0]:.2f} -> {losses[-1]:.2f}")
# The weights never moved: each device updates only its own stage.
print("after training:", short(hidden.kernel.value.device), short(logits.kernel.value.device))
# --8<-- [end:train-step]

# --8<-- [start:schedule]
def gpipe_schedule(stages, micro_batches):
    """Forward pass of GPipe: at each tick, which micro-batch every stage works on."""
    ticks = micro_batches + stages - 1
    return [[t - s if 0 <= t - s < micro_batches else None for s in range(stages)]
            for t in range(ticks)]


for tick, row in enumerate(gpipe_schedule(stages=2, micro_batches=4)):
    print(f"tick {tick}:", "  ".join(f"CPU:{s} F{m}" if m is not None else f"CPU:{s} --"
                                     for s, m in enumerate(row)))
for stages, micro in [(2, 4), (4, 4), (4, 16), (4, 64)]:
    print(f"{stages} stages, {micro:2d} micro-batches: idle share {(stages - 1) / (micro + stages - 1):.0%}")
# --8<-- [end:schedule]

# --8<-- [start:microbatches]
MICRO = 4  # split each batch in 4 micro-batches that follow each other through the stages
sum_ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="sum")
xb, yb = next(iter(train_ds))
accumulated = [tf.zeros_like(w) for w in weights]
for xm, ym in zip(tf.split(xb, MICRO), tf.split(yb, MICRO)):
    with tf.GradientTape() as tape:
        loss = sum_ce(ym, forward(xm)[1]) / GLOBAL_BATCH
    accumulated = [a + g for a, g in zip(accumulated, tape.gradient(loss, weights))]
with tf.GradientTape() as tape:
    loss = mean_loss(yb, forward(xb)[1])
whole = tape.gradient(loss, weights)
gap = max(float(tf.reduce_max(tf.abs(a - w))) for a, w in zip(accumulated, whole))
print(f"{MICRO} accumulated micro-batch gradients == whole-batch gradient (within 1e-6):", gap < 1e-6)
# --8<-- [end:microbatches]

"""The one-machine strategies, on two logical CPUs, with the shared tf_keras model.
Runs after the page's first block (TF_USE_LEGACY_KERAS=1, two CPUs, data, model.py)."""

# --8<-- [start:mirrored]
mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with mirrored.scope():
    model = make_model()
history = model.fit(make_dataset(x_train, y_train), epochs=2, steps_per_epoch=10, verbose=0)
kernel = model.get_layer("hidden").kernel
print(mirrored.num_replicas_in_sync, "replicas |", type(kernel).__name__,
      "on", [v.device.split("/")[-1] for v in kernel.values])
losses = [f"{loss:.3f}" for loss in history.history["loss"]]
print("loss per epoch:", losses)
print("== the two workers' epochs 1-2, digit for digit:", losses == first_losses["worker0"])
# --8<-- [end:mirrored]

# --8<-- [start:central-storage]
central = tf.distribute.experimental.CentralStorageStrategy(
    compute_devices=["/cpu:0", "/cpu:1"], parameter_device="/cpu:0")
with central.scope():
    model = make_model()
history = model.fit(make_dataset(x_train, y_train), epochs=2, steps_per_epoch=10, verbose=0)
kernel = model.get_layer("hidden").kernel
print(central.num_replicas_in_sync, "replicas |", type(kernel).__name__, "on", kernel.device.split("/")[-1])
losses = [f"{loss:.3f}" for loss in history.history["loss"]]
print("loss per epoch:", losses)
print("== the two workers' epochs 1-2, digit for digit:", losses == first_losses["worker0"])
# --8<-- [end:central-storage]

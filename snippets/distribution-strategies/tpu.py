"""TPUStrategy: the same model and fit call on a Cloud TPU. Runs after the page's first
block; needs a TPU VM (the gate skips it elsewhere)."""

# --8<-- [start:tpu]
resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu="local")  # on a TPU VM
tf.config.experimental_connect_to_cluster(resolver)
tf.tpu.experimental.initialize_tpu_system(resolver)
tpu = tf.distribute.TPUStrategy(resolver)
with tpu.scope():
    model = make_model()
# TPUs need static shapes: make_dataset drops the last partial batch.
history = model.fit(make_dataset(x_train, y_train), epochs=2, steps_per_epoch=10, verbose=0)
print(tpu.num_replicas_in_sync, "replicas | loss per epoch:",
      [round(loss, 3) for loss in history.history["loss"]])
# --8<-- [end:tpu]

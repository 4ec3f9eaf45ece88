"""variables/ is a TensorFlow checkpoint: one data shard per task unless you ask for a size limit."""

# --8<-- [start:max-shard-size]
wide_input = keras.Input(shape=(512,), name="features")
wide = keras.Model(wide_input, keras.layers.Dense(512)(keras.layers.Dense(512)(wide_input)))

options = tf.saved_model.SaveOptions(
    experimental_sharding_callback=tf.train.experimental.MaxShardSizePolicy(max_shard_size=1024 * 1024)
)
archive = keras.export.ExportArchive()
archive.add_endpoint(
    "serving_default", wide.call,
    input_signature=[tf.TensorSpec((None, 512), tf.float32, name="features")],
)
archive.write_out("models/wide/1", options=options, verbose=False)

print("parameters:", wide.count_params(), f"= {wide.count_params() * 4 / 2**20:.1f} MiB of float32")
for path in sorted(Path("models/wide/1/variables").iterdir()):
    print(path.name, f"{path.stat().st_size / 2**20:.1f} MiB")
# --8<-- [end:max-shard-size]

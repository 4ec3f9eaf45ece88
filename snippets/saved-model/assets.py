"""Where a vocabulary file goes: a StringLookup built from a file exports it to assets/."""

# --8<-- [start:vocab-file]
Path("colours.txt").write_text("red\ngreen\nblue\n")

colour = keras.Input(shape=(1,), dtype="string", name="colour")
lookup = keras.Model(colour, keras.layers.StringLookup(vocabulary="colours.txt")(colour))
lookup.export("models/colours/1", verbose=False)

Path("colours.txt").unlink()  # the export no longer needs the original file
tree("models/colours/1")

reloaded = tf.saved_model.load("models/colours/1").signatures["serving_default"]
print(reloaded(colour=tf.constant([["blue"], ["pink"]]))["output_0"].numpy().ravel())  # pink is OOV -> 0
# --8<-- [end:vocab-file]

# --8<-- [start:vocab-list]
inline = keras.Model(colour, keras.layers.StringLookup(vocabulary=["red", "green", "blue"])(colour))
inline.export("models/colours_inline/1", verbose=False)
print(sorted(p.name for p in Path("models/colours_inline/1/assets").iterdir()))
# --8<-- [end:vocab-list]

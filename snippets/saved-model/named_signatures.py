"""A SavedModel whose input and output keys you chose, with a second signature for float clients."""

# --8<-- [start:archive]
raw_pixels = tf.TensorSpec((None, 8, 8, 1), tf.uint8, name="pixels")  # name= sets the input key
scaled_pixels = tf.TensorSpec((None, 8, 8, 1), tf.float32, name="scaled_pixels")


def classify(pixels):
    probabilities = model(pixels, training=False)
    # A dict sets the output keys.
    return {"probabilities": probabilities, "digit": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}


def classify_scaled(scaled_pixels):
    # For clients that already divide by 255: undo it and reuse the same model.
    return classify(tf.cast(tf.round(scaled_pixels * 255), tf.uint8))


archive = keras.export.ExportArchive()  # no track(model): see the warning about doubled variables
archive.add_endpoint("serving_default", classify, input_signature=[raw_pixels])
archive.add_endpoint("classify_scaled", classify_scaled, input_signature=[scaled_pixels])
archive.write_out("models/digits_named/1", verbose=False)
print("values stored:", stored_values("models/digits_named/1"), "for", model.count_params(), "parameters")
# --8<-- [end:archive]

# --8<-- [start:module]
class DigitsServing(tf.Module):
    def __init__(self, model):
        super().__init__()
        # A fresh Functional view of the same layers: no optimizer, so no optimizer slots exported.
        self.model = keras.Model(model.inputs, model.outputs)

    @tf.function(input_signature=[tf.TensorSpec((None, 8, 8, 1), tf.uint8, name="pixels")])
    def classify(self, pixels):
        probabilities = self.model(pixels, training=False)
        return {"probabilities": probabilities, "digit": tf.argmax(probabilities, axis=-1, output_type=tf.int32)}

    @tf.function(input_signature=[tf.TensorSpec((None, 8, 8, 1), tf.float32, name="scaled_pixels")])
    def classify_scaled(self, scaled_pixels):
        return self.classify(tf.cast(tf.round(scaled_pixels * 255), tf.uint8))


serving_module = DigitsServing(model)
tf.saved_model.save(
    serving_module, "models/digits_named/1",
    signatures={"serving_default": serving_module.classify, "classify_scaled": serving_module.classify_scaled},
)
print("values stored:", stored_values("models/digits_named/1"), "for", model.count_params(), "parameters")
# --8<-- [end:module]

# --8<-- [start:module-pitfall]
class WholeModel(tf.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model  # the compiled model: its optimizer and Adam's two slots per weight come along


tf.saved_model.save(WholeModel(model), "scratch/whole_model")
print("values stored:", stored_values("scratch/whole_model"), "for", model.count_params(), "parameters")
# --8<-- [end:module-pitfall]

# --8<-- [start:check]
print(sorted(tf.saved_model.load("models/digits_named/1").signatures))
for signature in ("serving_default", "classify_scaled"):
    print(signature)
    describe("models/digits_named/1", signature)

named = tf.saved_model.load("models/digits_named/1").signatures
print("digit from uint8:", named["serving_default"](pixels=tf.constant(x_test[:5]))["digit"].numpy())
print("digit from float:", named["classify_scaled"](scaled_pixels=tf.constant(x_test[:5] / 255, tf.float32))["digit"].numpy())
# --8<-- [end:check]

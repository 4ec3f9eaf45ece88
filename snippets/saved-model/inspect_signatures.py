"""Read a SavedModel's signatures from Python and call one, as TF Serving would."""

# --8<-- [start:load]
loaded = tf.saved_model.load("models/digits/1")
print(sorted(loaded.signatures))

serving = loaded.signatures["serving_default"]
args, kwargs = serving.structured_input_signature  # every input is a keyword argument
print(args)
print(kwargs)
print(serving.structured_outputs)
# --8<-- [end:load]

# --8<-- [start:call]
batch = x_test[:5]  # uint8, shape (5, 8, 8, 1)
result = serving(pixels=tf.constant(batch))  # a dict: output key -> tensor
print({key: (value.dtype.name, tuple(value.shape)) for key, value in result.items()})
print("predicted:", result["output_0"].numpy().argmax(axis=1))
print("true     :", y_test[:5])

try:
    serving(pixels=tf.constant(batch, dtype=tf.float32))  # the signature's dtype is not converted for you
except tf.errors.InvalidArgumentError as error:
    print(type(error).__name__, error.message)
# --8<-- [end:call]

# --8<-- [start:describe]
def describe(export_dir, signature="serving_default"):
    """Print the input and output keys a client must use, with dtype and shape; return the input keys."""
    function = tf.saved_model.load(export_dir).signatures[signature]
    inputs = function.structured_input_signature[1]
    for key, spec in sorted(inputs.items()):  # sorted: dict order is not part of the contract
        print(f"  in  {key}: {spec.dtype.name} {tuple(spec.shape)}")
    for key, spec in sorted(function.structured_outputs.items()):
        print(f"  out {key}: {spec.dtype.name} {tuple(spec.shape)}")
    return sorted(inputs)
# --8<-- [end:describe]

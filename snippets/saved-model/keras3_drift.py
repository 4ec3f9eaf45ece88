"""Three Keras 3 export behaviours that break clients written against tf.keras 2 habits."""

# --8<-- [start:unnamed]
def unnamed_model():
    inputs = keras.Input(shape=(8, 8, 1))  # no name=
    return keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))


unnamed_model().export("models/unnamed/1", verbose=False)
first = describe("models/unnamed/1")
unnamed_model().export("models/unnamed/2", verbose=False)  # identical code, built a second time
second = describe("models/unnamed/2")
print("same input key both times:", first == second)
# --8<-- [end:unnamed]

# --8<-- [start:outputs]
features = keras.Input(shape=(4,), name="features")
as_list = keras.Model(features, [keras.layers.Dense(1, name="price")(features),
                                 keras.layers.Dense(3, name="category")(features)])
as_list.export("models/as_list/1", verbose=False)
describe("models/as_list/1")

as_dict = keras.Model(features, {"price": keras.layers.Dense(1)(features),
                                 "category": keras.layers.Dense(3)(features)})
as_dict.export("models/as_dict/1", verbose=False)
describe("models/as_dict/1")
# --8<-- [end:outputs]

# --8<-- [start:dtype]
import tf_keras  # Keras 2 (pip install tf-keras), imported here only to show the old behaviour

# The tf.keras 2 habit: input_shape and dtype on the first layer.
keras2_style = tf_keras.Sequential([
    tf_keras.layers.Flatten(input_shape=(8, 8, 1), dtype="uint8"),
    tf_keras.layers.Dense(10),
])
print("tf.keras 2: model input dtype:", keras2_style.inputs[0].dtype.name)

legacy_style = keras.Sequential([
    keras.layers.Flatten(input_shape=(8, 8, 1), dtype="uint8"),
    keras.layers.Dense(10),
])
print("Keras 3   : model input dtype:", legacy_style.inputs[0].dtype, "| first layer dtype:", legacy_style.layers[0].dtype)
legacy_style.export("models/legacy_style/1", verbose=False)
describe("models/legacy_style/1")
# --8<-- [end:dtype]

# --8<-- [start:input-names]
print("tf.keras 2 input_names:", keras2_style.input_names)
print("Keras 3 has input_names:", hasattr(model, "input_names"))
print("model.output_names:", model.output_names)  # layer names, not the exported keys
print("model.inputs names:", [tensor.name for tensor in model.inputs])
# What clients must send and read: the SavedModel's signature keys.
print("signature inputs  :", list(serving.structured_input_signature[1]))
print("signature outputs :", list(serving.structured_outputs))
# --8<-- [end:input-names]

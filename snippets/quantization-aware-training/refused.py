"""What quantize_model refuses: Keras 3 models, and layers it has no quantization recipe for."""

# --8<-- [start:keras3]
import keras as keras3  # the `keras` package is Keras 3, whatever TF_USE_LEGACY_KERAS says

keras3_model = keras3.Sequential(
    [keras3.Input((8, 8, 1), name="pixels"), keras3.layers.Flatten(), keras3.layers.Dense(10)]
)
try:
    tfmot.quantization.keras.quantize_model(keras3_model)
except ValueError as error:
    print(f"Keras {keras3.__version__} model -> ValueError: {error}")
# --8<-- [end:keras3]

# --8<-- [start:rescaling]
with_rescaling = keras.Sequential(
    [keras.Input((8, 8, 1), name="pixels"), keras.layers.Rescaling(1 / 255),
     keras.layers.Flatten(), keras.layers.Dense(10)]
)
try:
    tfmot.quantization.keras.quantize_model(with_rescaling)
except RuntimeError as error:
    print(f"RuntimeError: {error}")
# --8<-- [end:rescaling]

"""Post-training quantization the way LiteRT now recommends it: convert to
float32 first, then quantize the .tflite file with LiteRT Quantizer.

The results stay in memory (bytes of a .tflite file), so the page's last
block, which runs every file the page wrote, still lists the converter's."""

# --8<-- [start:quantize]
from litert_quantizer import quantizer, recipe


def litert_quantize(float_model, quantization_recipe, calibration_images=()):
    """The bytes of float_model, a float32 .tflite file, quantized with a
    LiteRT Quantizer recipe; static recipes calibrate on sample images."""
    model = quantizer.Quantizer(str(float_model))
    model.load_quantization_recipe(quantization_recipe)
    calibration = None
    if model.need_calibration:  # activation ranges, from real inputs
        if len(calibration_images) == 0:
            raise ValueError("this recipe needs calibration images")
        samples = [{"pixels": image[np.newaxis]} for image in calibration_images]
        calibration = model.calibrate({"serving_default": samples})
    result = model.quantize(calibration, enable_progress_report=False)
    return bytes(result.quantized_model)


from_quantizer = {
    "dynamic range": litert_quantize("digits_float32.tflite",
                                     recipe.dynamic_wi8_afp32()),
    # The same 200 training images the converter calibrated int8 on.
    "int8": litert_quantize("digits_float32.tflite", recipe.static_wi8_ai8(),
                            x_train[:200]),
}
from_converter = {"dynamic range": Path("digits_dynamic_range.tflite"),
                  "int8": Path("digits_int8.tflite")}

print(f"{'':<15}{'converter':>18}{'LiteRT Quantizer':>23}")
for name, quantized in from_quantizer.items():
    converted = from_converter[name].read_bytes()
    print(f"{name:<15}{len(converted) / 1024:>8.0f} KB  {accuracy(converted):.3f}"
          f"{len(quantized) / 1024:>13.0f} KB  {accuracy(quantized):.3f}")
# --8<-- [end:quantize]

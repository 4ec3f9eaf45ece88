"""Calibration data on the wrong scale: int8 converts, and is wrong."""

# --8<-- [start:wrong-scale]
def sklearn_scale_pixels():
    """The mistake: scikit-learn's raw images, on a 0..16 scale, instead
    of the 0..255 pixels the model receives."""
    for image in digits.images[:200]:
        yield [image.astype(np.uint8)[np.newaxis, ..., np.newaxis]]


miscalibrated = int8_converter(sklearn_scale_pixels).convert()
print("int8 test accuracy, calibrated on 0..255 training pixels: "
      f"{accuracy('digits_int8.tflite'):.2f}")
print("int8 test accuracy, calibrated on 0..16 images:           "
      f"{accuracy(miscalibrated):.2f}")
# --8<-- [end:wrong-scale]

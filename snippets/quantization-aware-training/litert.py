"""Convert with the TFLite converter, evaluate with the LiteRT interpreter."""

# --8<-- [start:helpers]
from ai_edge_litert.interpreter import Interpreter


def is_quantization_aware(model):
    return any(type(layer).__name__.startswith("Quantize") for layer in model.layers)


def float_tflite(model):
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def int8_tflite(model, calibration_images=None, *, per_channel=True, int16_activations=False):
    """int8 TFLite model: post-training (give calibration_images) or from a QAT model (don't)."""
    if calibration_images is None and not is_quantization_aware(model):
        raise ValueError("a float model needs calibration_images for int8; without them the "
                         "converter silently falls back to dynamic-range quantization")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if calibration_images is not None:
        images = np.asarray(calibration_images, dtype=np.float32)
        converter.representative_dataset = lambda: ([image[np.newaxis]] for image in images)
    # Private flag (leading underscore, may change without notice): per-tensor weight scales.
    converter._experimental_disable_per_channel = not per_channel
    if int16_activations:  # "16x8": int16 activations, int8 weights
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]
    return converter.convert()


def litert_accuracy(tflite_model, images, labels):
    interpreter = Interpreter(model_content=tflite_model)
    (input_detail,) = interpreter.get_input_details()
    if input_detail["dtype"] != np.float32:
        raise ValueError(f"expected a float32 input, the model takes {input_detail['dtype']}")
    if tuple(input_detail["shape"][1:]) != np.shape(images)[1:] or len(images) != len(labels):
        raise ValueError(f"images {np.shape(images)} / labels {np.shape(labels)} do not fit "
                         f"the model's input {input_detail['shape']}")
    interpreter.resize_tensor_input(input_detail["index"], np.shape(images))  # one batched call
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_detail["index"], np.asarray(images, dtype=np.float32))
    interpreter.invoke()
    logits = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    return float(np.mean(logits.argmax(axis=1) == labels))
# --8<-- [end:helpers]

"""Run a .tflite digits model in the LiteRT interpreter."""

# --8<-- [start:helpers]
import numpy as np
from ai_edge_litert.interpreter import Interpreter


def load(model, num_threads=1):
    """A LiteRT interpreter for a .tflite path, or for the bytes of one."""
    if isinstance(model, bytes):
        interpreter = Interpreter(model_content=model,
                                  num_threads=num_threads)
    else:
        interpreter = Interpreter(model_path=str(model),
                                  num_threads=num_threads)
    interpreter.allocate_tensors()  # plans every tensor's memory up front
    return interpreter


def classify(interpreter, pixels):
    """Class probabilities (N, 10) for raw digit images, uint8 of shape
    (N, 8, 8, 1), whether the model's input is uint8 or int8."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.shape[1:] != (8, 8, 1):
        raise ValueError("expected uint8 images of shape (N, 8, 8, 1), "
                         f"got {pixels.dtype} {pixels.shape}")
    source = interpreter.get_input_details()[0]
    if source["dtype"] == np.int8:  # q = pixel / scale + zero_point
        scale, zero_point = source["quantization"]
        q = np.round(pixels / scale + zero_point)
        pixels = np.clip(q, -128, 127).astype(np.int8)
    if tuple(source["shape"]) != pixels.shape:  # the batch is dynamic
        interpreter.resize_tensor_input(source["index"], pixels.shape)
        interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], pixels)
    interpreter.invoke()
    target = interpreter.get_output_details()[0]
    scores = interpreter.get_tensor(target["index"])
    scale, zero_point = target["quantization"]
    if scale:  # a quantized output: real = scale * (q - zero_point)
        return scale * (scores.astype(np.float32) - zero_point)
    return scores


def accuracy(model, pixels=x_test, labels=y_test):
    predicted = classify(load(model), pixels).argmax(axis=1)
    return float((predicted == labels).mean())
# --8<-- [end:helpers]

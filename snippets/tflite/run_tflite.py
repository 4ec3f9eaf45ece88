"""Run a .tflite digits model in the LiteRT interpreter."""

# --8<-- [start:helpers]
import numpy as np
from ai_edge_litert.interpreter import Interpreter


def load(model, num_threads=1):
    """A LiteRT interpreter for a .tflite path or the bytes of one; one thread, as on a small device."""
    if isinstance(model, bytes):
        interpreter = Interpreter(model_content=model, num_threads=num_threads)
    else:
        interpreter = Interpreter(model_path=str(model), num_threads=num_threads)
    interpreter.allocate_tensors()  # plans every tensor's memory up front
    return interpreter


def classify(interpreter, pixels):
    """Class probabilities (N, 10) for raw digit images: uint8, shape (N, 8, 8, 1)."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.shape[1:] != (8, 8, 1):
        raise ValueError(f"expected uint8 images of shape (N, 8, 8, 1), got {pixels.dtype} {pixels.shape}")
    source = interpreter.get_input_details()[0]
    if tuple(source["shape"]) != pixels.shape:  # the batch dimension is dynamic: resize, re-plan
        interpreter.resize_tensor_input(source["index"], pixels.shape)
        interpreter.allocate_tensors()
    interpreter.set_tensor(source["index"], pixels)
    interpreter.invoke()
    target = interpreter.get_output_details()[0]
    scores = interpreter.get_tensor(target["index"])
    scale, zero_point = target["quantization"]
    if scale:  # a quantized output: real value = scale * (q - zero_point)
        return scale * (scores.astype(np.float32) - zero_point)
    return scores


def accuracy(model, pixels=x_test, labels=y_test):
    return float((classify(load(model), pixels).argmax(axis=1) == labels).mean())
# --8<-- [end:helpers]

"""Look inside the converted models: inputs and outputs, ops, folding."""

# --8<-- [start:int8-io]
int8_model = load("digits_int8.tflite")
source = int8_model.get_input_details()[0]
target = int8_model.get_output_details()[0]
print("input ", source["dtype"].__name__, source["shape_signature"])
print("output", target["dtype"].__name__,
      "scale, zero point:", target["quantization"])
ops = int8_model._get_ops_details()
tensors = {tensor["index"]: tensor
           for tensor in int8_model.get_tensor_details()}
quantize = next(op for op in ops if op["op_name"] == "QUANTIZE")
print("first ops:", [op["op_name"] for op in ops[:3]])
print("QUANTIZE output scale, zero point:",
      tensors[quantize["outputs"][0]]["quantization"])
# --8<-- [end:int8-io]

# --8<-- [start:ops]
import re
import textwrap
from collections import Counter


def tflite_ops(model):
    """(op name, what it absorbed) for each op, in execution order.

    The converter names a fused op's output tensor after every TensorFlow
    op it absorbed, joined by ";". `_get_ops_details()` is private;
    `tf.lite.experimental.Analyzer.analyze()` prints the same for humans.
    """
    interpreter = load(model)
    names = {tensor["index"]: tensor["name"]
             for tensor in interpreter.get_tensor_details()}
    for op in interpreter._get_ops_details():
        if op["op_name"] == "DELEGATE":  # added by XNNPACK at load time
            continue
        name = re.sub(r"digits_cnn_\d+/", "", names[op["outputs"][0]])
        layer, _, _ = name.partition("/")  # "conv1_1/Relu;conv1_1/..."
        parts = [part.partition("/")[2] for part in name.split(";")]
        if all(parts):
            name = f"{layer}: " + " + ".join(parts)
        yield op["op_name"], name


for op_name, absorbed in tflite_ops("digits_float32.tflite"):
    print(f"{op_name:<16}{absorbed}")
# --8<-- [end:ops]

# --8<-- [start:graph-ops]
import tensorflow as tf


def summary(title, counts):
    listing = ", ".join(f"{op}={n}" for op, n in counts.most_common())
    print(f"{title}: {counts.total()} ops")
    print(textwrap.fill(listing, 76, initial_indent="  ",
                        subsequent_indent="  "))


saved = tf.saved_model.load("digits_savedmodel")
graph = saved.signatures["serving_default"].graph
# The signature calls the traced Keras function: count the ops inside it.
functions = graph.as_graph_def().library.function
summary("SavedModel", Counter(node.op for function in functions
                              for node in function.node_def))
converted = tflite_ops("digits_float32.tflite")
summary("TFLite", Counter(op for op, _ in converted))
# --8<-- [end:graph-ops]

# --8<-- [start:folding]
float32_model = load("digits_float32.tflite")
first_conv = next(op for op in float32_model._get_ops_details()
                  if op["op_name"] == "CONV_2D")
# TFLite's filter layout is (out, height, width, in); Keras's is
# (height, width, in, out).
tflite_filter = float32_model.get_tensor(first_conv["inputs"][1])
keras_kernel = model.get_layer("conv1").kernel.numpy()
print(np.allclose(tflite_filter, keras_kernel.transpose(3, 0, 1, 2) / 255,
                  rtol=1e-6, atol=0))
# --8<-- [end:folding]

# --8<-- [start:flatbuffer]
from pathlib import Path

from tensorflow.lite.tools import flatbuffer_utils

data = Path("digits_float32.tflite").read_bytes()
print(data[4:8])  # the FlatBuffer file identifier of TFLite's schema
flat = flatbuffer_utils.read_model_from_bytearray(bytearray(data))
weights = sum(len(buffer.data) for buffer in flat.buffers
              if buffer.data is not None)
print(f"constant buffers (weights): {weights / len(data):.1%} of the file")

mapped = load("digits_float32.tflite")
# Linux lists a process's memory mappings in /proc/self/maps.
maps = Path("/proc/self/maps").read_text().splitlines()
print("memory-mapped, read-only:",
      any(line.endswith("/digits_float32.tflite") and " r--s " in line
          for line in maps))
# --8<-- [end:flatbuffer]

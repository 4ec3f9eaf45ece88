"""What the TFLite page concludes from its two tables, as claims that hold on any CPU.

On the page these run after the helper in snippets/common/claims.py; tests/test_claims.py
imports them and feeds them tables where each conclusion is false.
"""

from snippets.common.claims import claim  # on the page: included just before

# --8<-- [start:claims]
def size_claims(size_bytes, accuracies):
    """Size follows the bytes per weight; accuracy barely moves."""
    vs_float32 = {v: round(size / size_bytes["float32"], 3) for v, size in size_bytes.items()}
    # int8 weights are a quarter of float32's bytes; scales, biases and the graph add a little.
    claim("the int8 and dynamic-range files are at most 0.30 of the float32 file",
          vs_float32["int8"] <= 0.30 and vs_float32["dynamic range"] <= 0.30, vs_float32)
    claim("the float16 file is 0.48 to 0.52 of the float32 file",
          0.48 <= vs_float32["float16"] <= 0.52, vs_float32)
    # 0.01 is under 5 of the 450 test images.
    lost = {v: round(accuracies["float32"] - a, 3) for v, a in accuracies.items()}
    claim("every variant's test accuracy is within 0.01 of float32's",
          all(abs(drop) <= 0.01 for drop in lost.values()), lost)


def latency_claims(micros):
    """What holds on every CPU; how much faster int8 is depends on the CPU."""
    vs_float32 = {v: round(us / micros["float32"], 2) for v, us in micros.items()}
    # float16 weights become float32 before the first inference: the same kernels run, and the
    # interleaved rounds cancel drift. Runs so far: 1.00 to 1.01; 10 % is room for a busy machine.
    claim("float16 takes 0.9 to 1.1 times float32's CPU time",
          0.9 <= vs_float32["float16"] <= 1.1, vs_float32)
    # int8 reads a quarter of the weight bytes, and SIMD units hold 4x as many int8 values.
    claim("int8 and dynamic range take no more CPU time than float32",
          vs_float32["int8"] <= 1.0 and vs_float32["dynamic range"] <= 1.0, vs_float32)
# --8<-- [end:claims]


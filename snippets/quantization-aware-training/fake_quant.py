"""The op QAT inserts: int8 rounding and clamping forward, a straight-through gradient backward."""

# --8<-- [start:forward-backward]
x = tf.constant([-0.3, 0.0, 0.1234, 0.5, 0.9, 1.7])
with tf.GradientTape() as tape:
    tape.watch(x)
    # 256 levels between 0 and 1 (step 1/255), the range an activation quantizer has learned
    y = tf.quantization.fake_quant_with_min_max_vars(x, min=0.0, max=1.0, num_bits=8)
gradient = tape.gradient(y, x)
print("input          ", np.array2string(x.numpy(), precision=4, floatmode="fixed"))
print("fake-quantized ", np.array2string(y.numpy(), precision=4, floatmode="fixed"))
print("gradient       ", np.array2string(gradient.numpy(), precision=4, floatmode="fixed"))
# --8<-- [end:forward-backward]

"""Quantize only some layers: annotate them, then quantize_apply."""

# --8<-- [start:annotate]
def annotate_conv_block(layer):
    """Quantize the conv block; leave the classifier in float."""
    clone = layer.__class__.from_config(layer.get_config())  # what clone_model does by default
    if layer.name in ("conv", "bn", "relu"):
        return tfmot.quantization.keras.quantize_annotate_layer(clone)
    return clone


annotated = keras.models.clone_model(float_model, clone_function=annotate_conv_block)
annotated.set_weights(float_model.get_weights())  # clone_model builds fresh weights
partly_quantized = tfmot.quantization.keras.quantize_apply(annotated)
for layer in partly_quantized.layers:
    print(f"{layer.name:<16} {type(layer).__name__}")
# --8<-- [end:annotate]

# --8<-- [start:scales]
def kernel_storage(tflite_model):
    """dtype and number of int8 scales of digits_small's two kernels.

    1 scale = per-tensor; one per output channel = per-channel; none = not quantized.
    """
    kernels = {"conv": (16, 3, 3, 1), "logits": (10, 576)}  # TFLite: output channel first
    found = {}
    for tensor in Interpreter(model_content=tflite_model).get_tensor_details():
        for layer, shape in kernels.items():
            if tuple(tensor["shape"]) == shape:
                scales = len(tensor["quantization_parameters"]["scales"])
                dtype = tensor["dtype"].__name__
                found[layer] = f"{dtype}, {scales} scale{'s' * (scales > 1)}" if scales else dtype
    if missing := sorted(kernels.keys() - found.keys()):
        raise ValueError(f"no {missing} kernel of the expected shape: not a digits_small model")
    return found


variants = {  # the seed-0 models of the experiment above, and the partly quantized one
    "PTQ int8": int8_models[0]["PTQ"],
    "PTQ per-tensor": int8_models[0]["PTQ per-tensor"],
    "QAT int8": int8_models[0]["QAT"],
    "QAT, conv block only": int8_tflite(partly_quantized),  # fine-tune it first in real use
}
print(f"{'':<22} {'conv kernel':<18} {'logits kernel':<18}")
for name, tflite_model in variants.items():
    storage = kernel_storage(tflite_model)
    print(f"{name:<22} {storage['conv']:<18} {storage['logits']:<18}")
# --8<-- [end:scales]

"""Float model, QAT fine-tune, and both int8 routes on the digits test set."""

# --8<-- [start:train-float]
float_model = train_float(seed=0)
print(f"float Keras test accuracy: {float_model.evaluate(x_test_f, y_test, verbose=0)[1]:.3f}")
# --8<-- [end:train-float]

# --8<-- [start:quantize-model]
qat_model = compile_for_training(tfmot.quantization.keras.quantize_model(float_model))  # a copy
qat_model.fit(x_train_f, y_train, epochs=3, batch_size=32, verbose=0)  # 129 steps of fine-tuning
print(f"QAT Keras test accuracy:   {qat_model.evaluate(x_test_f, y_test, verbose=0)[1]:.3f}")
# --8<-- [end:quantize-model]

# --8<-- [start:ranges]
# Activation ranges are not trained: each step moves them 0.1% of the way to the batch's
# min/max (an exponential moving average with decay 0.999), starting from [-6, 6].
ranges = {w.name.split(":")[0]: float(w.numpy())
          for w in qat_model.weights if "relu/output_m" in w.name}
relu_layer = keras.Model(float_model.input, float_model.get_layer("relu").output)
relu_output = relu_layer(x_train_f).numpy()
print(f"relu output range in the QAT model: [{ranges['quant_relu/output_min']:.2f}, "
      f"{ranges['quant_relu/output_max']:.2f}]")
print(f"relu output range on the training set: [{relu_output.min():.2f}, {relu_output.max():.2f}]")
# --8<-- [end:ranges]

# --8<-- [start:compare]
calibration = x_train_f[:200]  # PTQ's representative dataset: 200 training images
tflite_models = {
    "float32": float_tflite(float_model),
    "post-training int8": int8_tflite(float_model, calibration),
    "QAT int8": int8_tflite(qat_model),
}
print(f"{'model':<20} {'test accuracy':>13} {'size':>9}")
for name, tflite_model in tflite_models.items():
    accuracy = litert_accuracy(tflite_model, x_test_f, y_test)
    print(f"{name:<20} {accuracy:>13.3f} {len(tflite_model) / 1024:>6.1f} KB")
# --8<-- [end:compare]

"""Where int8 rounding does cost accuracy: one channel in much smaller units than the others."""

# --8<-- [start:small-units]
def move_channel_to_small_units(model, channel, factor):
    """A copy of `model` computing the same function, with one conv channel `factor` times smaller.

    The channel's BatchNormalization scale and shift shrink by `factor` (ReLU passes a positive
    scale through: relu(x / f) = relu(x) / f), and the logits weights that read the channel grow
    by `factor`. Float predictions are unchanged; the ranges int8 has to cover are not.
    """
    channels = model.get_layer("bn").gamma.shape[0]
    if not factor > 0:
        raise ValueError(f"factor must be positive (ReLU commutes only with it), got {factor}")
    if not 0 <= channel < channels:
        raise ValueError(f"channel must be in 0..{channels - 1}, got {channel}")
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    gamma, beta, mean, variance = copy.get_layer("bn").get_weights()
    gamma[channel] /= factor
    beta[channel] /= factor
    copy.get_layer("bn").set_weights([gamma, beta, mean, variance])
    kernel, bias = copy.get_layer("logits").get_weights()
    kernel[channel::channels] *= factor  # Flatten puts that channel at rows c, c + 16, c + 32, ...
    copy.get_layer("logits").set_weights([kernel, bias])
    return compile_for_training(copy)
# --8<-- [end:small-units]

# --8<-- [start:what-int8-sees]
def int8_zero_fraction(kernel):
    """Share of weights that round to 0 with one symmetric int8 scale per output column."""
    step = np.abs(kernel).max(axis=0) / 127  # what the converter does per channel
    return float(np.mean(np.round(kernel / step) == 0))


small_units = move_channel_to_small_units(float_model, channel=0, factor=200)
print(f"{'':<16} {'float acc':>9} {'ch 0 relu max':>13} {'logits max |w|':>14} {'w -> int8 0':>11}")
for name, model in [("as trained", float_model), ("ch 0 units/200", small_units)]:
    kernel = model.get_layer("logits").get_weights()[0]
    relu = keras.Model(model.input, model.get_layer("relu").output)(x_train_f).numpy()
    accuracy = model.evaluate(x_test_f, y_test, verbose=0)[1]
    print(f"{name:<16} {accuracy:>9.3f} {relu[..., 0].max():>13.3f} {np.abs(kernel).max():>14.2f} "
          f"{int8_zero_fraction(kernel):>11.0%}")
# --8<-- [end:what-int8-sees]

# --8<-- [start:seeds]
def mean_row(rows):
    return {key: float(np.mean([row[key] for row in rows])) for key in rows[0]}


results, int8_models = [], {}
for seed in (0, 1, 2):
    trained = float_model if seed == 0 else train_float(seed)  # seed 0: the model trained above
    model = move_channel_to_small_units(trained, channel=0, factor=200)
    row = {"float": model.evaluate(x_test_f, y_test, verbose=0)[1]}
    int8 = {
        "PTQ": int8_tflite(model, calibration),
        "PTQ per-tensor": int8_tflite(model, calibration, per_channel=False),
        "PTQ all train": int8_tflite(model, x_train_f),  # calibrate on all 1,347 training images
        "PTQ 16x8": int8_tflite(model, calibration, int16_activations=True),
    }
    keras.utils.set_random_seed(seed)
    qat = compile_for_training(tfmot.quantization.keras.quantize_model(model))
    qat.fit(x_train_f, y_train, epochs=3, batch_size=32, verbose=0)
    int8["QAT"] = int8_tflite(qat)
    # The fair control: the same 3 epochs of fine-tuning in float, then PTQ.
    model.fit(x_train_f, y_train, epochs=3, batch_size=32, verbose=0)
    int8["float +3 ep, PTQ"] = int8_tflite(model, calibration)
    row.update({name: litert_accuracy(m, x_test_f, y_test) for name, m in int8.items()})
    results.append(row)
    int8_models[seed] = int8
# --8<-- [end:seeds]

# --8<-- [start:qat-table]
columns = ["float", "PTQ", "float +3 ep, PTQ", "QAT"]
print(f"{'seed':<6}" + "".join(f"{name:>18}" for name in columns))
for seed, row in zip((0, 1, 2), results):
    print(f"{seed:<6}" + "".join(f"{row[name]:>18.3f}" for name in columns))
mean = mean_row(results)
print(f"{'mean':<6}" + "".join(f"{mean[name]:>18.3f}" for name in columns))
print(f"{'loss':<6}" + "".join(f"{mean['float'] - mean[name]:>18.3f}" for name in columns))
# --8<-- [end:qat-table]

# --8<-- [start:fixes-table]
columns = ["PTQ", "PTQ per-tensor", "PTQ all train", "PTQ 16x8"]
print(f"{'seed':<6}" + "".join(f"{name:>16}" for name in columns))
for seed, row in zip((0, 1, 2), results):
    print(f"{seed:<6}" + "".join(f"{row[name]:>16.3f}" for name in columns))
print(f"{'mean':<6}" + "".join(f"{mean_row(results)[name]:>16.3f}" for name in columns))
# --8<-- [end:fixes-table]

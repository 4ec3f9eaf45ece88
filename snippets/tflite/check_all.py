"""Every .tflite file the page wrote runs in LiteRT, with the right
dtypes and shapes, and classifies digits."""

# --8<-- [start:check]
print(f"{'file':<35}{'input -> output':<18}{'shape':<11}accuracy")
for path in sorted(Path().glob("*.tflite")):
    interpreter = load(path)
    probabilities = classify(interpreter, x_test)
    source = interpreter.get_input_details()[0]["dtype"].__name__
    target = interpreter.get_output_details()[0]["dtype"].__name__
    correct = float((probabilities.argmax(axis=1) == y_test).mean())
    print(f"{path.name:<35}{source:>6} -> {target:<8}"
          f"{probabilities.shape}  {correct:.3f}")
# --8<-- [end:check]

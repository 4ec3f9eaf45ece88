"""The converter's EXPERIMENTAL_SPARSITY flag on the pruned model: sparse
tensors in the file, dense weights again once the interpreter has loaded it.

The variants stay in memory (bytes of a .tflite file): the page's last block
runs every .tflite file it finds with the default interpreter, and one of
these needs another (shown below)."""

# --8<-- [start:convert]
import gzip

# The pruned weights (prune.py saved them) in the page's Keras 3 model,
# exported like the dense model was.
pruned = build_model(keras)
pruned_weights = np.load("digits_pruned_weights.npz")
pruned.set_weights([pruned_weights[name] for name in pruned_weights.files])
pruned.export("digits_pruned_savedmodel", verbose=False)

DENSE, SPARSE = [], [tf.lite.Optimize.EXPERIMENTAL_SPARSITY]
INT8_WEIGHTS = [tf.lite.Optimize.DEFAULT]
pruned_variants = {}
for name, optimizations in [("float32", DENSE),
                            ("float32, sparse", SPARSE),
                            ("dynamic range", INT8_WEIGHTS),
                            ("dynamic range, sparse", INT8_WEIGHTS + SPARSE)]:
    pruned_converter = converter("digits_pruned_savedmodel")
    pruned_converter.optimizations = optimizations
    pruned_variants[name] = pruned_converter.convert()  # the file's bytes

print(f"{'pruned model':<24}{'KB':>6}{'gzip KB':>9}")
for name, data in pruned_variants.items():
    print(f"{name:<24}{len(data) / 1024:>6.0f}"
          f"{len(gzip.compress(data)) / 1024:>9.0f}")
# --8<-- [end:convert]

# --8<-- [start:run]
from ai_edge_litert.interpreter import OpResolverType

# AUTO, the default, applies XNNPACK; the other resolver applies no delegate.
for name in ["float32, sparse", "dynamic range, sparse"]:
    for resolver in [OpResolverType.AUTO,
                     OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES]:
        try:
            interpreter = Interpreter(
                model_content=pruned_variants[name], num_threads=1,
                experimental_op_resolver_type=resolver)
            interpreter.allocate_tensors()
            correct = classify(interpreter, x_test).argmax(axis=1) == y_test
            result = f"accuracy {correct.mean():.3f}"
        except RuntimeError as error:  # the delegate refused the model
            # The message's node numbers depend on the model: cut them.
            result = f"RuntimeError: {str(error).partition(' #')[0]}"
        print(f"{name}, {resolver.name}: {result}")

ops = [op["op_name"] for op in interpreter._get_ops_details()]
print(f"DENSIFY ops: {ops.count('DENSIFY')}, before",
      sorted({ops[i + 1] for i, op in enumerate(ops) if op == "DENSIFY"}))
# --8<-- [end:run]

"""Size, accuracy and latency of the four variants, as markdown tables.

Sizes and accuracies are deterministic (seeded training, fixed converter): the page checks
them. Latency depends on the CPU: the gate keeps the table it measured (measured marker) and
checks only what snippets/tflite/claims.py concludes from it."""

# --8<-- [start:sizes]
VARIANTS = {
    "float32": "digits_float32.tflite",
    "dynamic range": "digits_dynamic_range.tflite",
    "float16": "digits_float16.tflite",
    "int8": "digits_int8.tflite",
}
size_bytes = {variant: Path(path).stat().st_size for variant, path in VARIANTS.items()}
accuracies = {variant: accuracy(path) for variant, path in VARIANTS.items()}
print("| variant | size (KB) | size vs float32 | test accuracy |")
print("|---|--:|--:|--:|")
for variant, size in size_bytes.items():
    print(f"| {variant} | {size / 1024:.0f} | {size / size_bytes['float32']:.2f} "
          f"| {accuracies[variant]:.3f} |")
# --8<-- [end:sizes]

# --8<-- [start:latency]
import time

ROUNDS, CALLS = 40, 100
interpreters = {variant: load(path) for variant, path in VARIANTS.items()}
for interpreter in interpreters.values():
    # One image, as on a device. Sets the input once, and the first run
    # also lets XNNPACK pack its weights.
    classify(interpreter, x_test[:1])

seconds = {variant: [] for variant in interpreters}
rng = np.random.default_rng(0)
for _ in range(ROUNDS):
    # Interleaved, in a new order each round.
    for variant in rng.permutation(list(interpreters)):
        invoke = interpreters[variant].invoke  # only the C++ call is timed
        # CPU time of this thread: waiting for a busy core does not count.
        start = time.thread_time()
        for _ in range(CALLS):
            invoke()
        seconds[variant].append((time.thread_time() - start) / CALLS)

micros = {variant: 1e6 * float(np.median(times))
          for variant, times in seconds.items()}
print("| variant | µs per inference | vs float32 |")
print("|---|--:|--:|")
for variant, us in micros.items():
    print(f"| {variant} | {us:.0f} | {us / micros['float32']:.2f} |")
# --8<-- [end:latency]

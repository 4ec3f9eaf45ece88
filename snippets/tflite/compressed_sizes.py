"""What pruning buys: nothing in the raw .tflite file, a lot compressed."""

# --8<-- [start:gzip]
import gzip

print(f"{'model':<36}{'KB':>6}{'gzip KB':>9}")
for name in ["digits_float32.tflite", "digits_pruned.tflite",
             "digits_dynamic_range.tflite",
             "digits_pruned_dynamic_range.tflite"]:
    data = Path(name).read_bytes()
    print(f"{name:<36}{len(data) / 1024:>6.0f}"
          f"{len(gzip.compress(data)) / 1024:>9.0f}")
# --8<-- [end:gzip]

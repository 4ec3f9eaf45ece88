"""Draw the two measured tables as one figure (uses VARIANTS, size_bytes, accuracies and micros from above)."""

# --8<-- [start:plot]
import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt

plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "tflite", "font.size": 9,
                     "text.color": "#888", "axes.labelcolor": "#888", "axes.edgecolor": "#888",
                     "xtick.color": "#888", "ytick.color": "#888"})
names = list(VARIANTS)
sizes_kb = [size_bytes[n] / 1024 for n in names]
shown_accuracies = [accuracies[n] for n in names]

fig, (left, right) = plt.subplots(1, 2, figsize=(7.5, 2.6), layout="constrained")
bars = left.barh(names, sizes_kb, color="#ff7043")
left.bar_label(bars, labels=[f"{kb:.0f} KB · acc {a:.3f}" for kb, a in zip(sizes_kb, shown_accuracies)], padding=3)
left.set_xlim(0, max(sizes_kb) * 1.9)
left.set_title("file size (and test accuracy)")
left.invert_yaxis()
bars = right.barh(names, [micros[n] for n in names], color="#5c6bc0")
right.bar_label(bars, fmt="%.0f µs", padding=3)
right.set_xlim(0, max(micros.values()) * 1.5)
right.set_title("CPU time per inference, 1 thread")
right.invert_yaxis()
for axis in (left, right):
    axis.spines[["top", "right"]].set_visible(False)
fig.savefig("tflite_variants.svg", transparent=True)
print("saved tflite_variants.svg")
# --8<-- [end:plot]

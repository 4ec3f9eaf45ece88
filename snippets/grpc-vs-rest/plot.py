"""Draw bytes and CPU per request at 256 rows (uses PAYLOADS, SIZES and COSTS from above)."""

# --8<-- [start:plot]
import matplotlib

matplotlib.use("Agg")  # no display needed
import matplotlib.pyplot as plt

plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "grpc-rest", "font.size": 9,
                     "text.color": "#888", "axes.labelcolor": "#888", "axes.edgecolor": "#888",
                     "xtick.color": "#888", "ytick.color": "#888"})
formats, colors = ("JSON", "JSON+gzip", "protobuf"), ("#ff7043", "#ffb74d", "#5c6bc0")
fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.0), layout="constrained")
for axis, table, title in ((axes[0], SIZES, "request bytes, 256 rows (kB)"),
                           (axes[1], COSTS, "encode + decode, 256 rows (ms, log)")):
    for i, (fmt, color) in enumerate(zip(formats, colors)):
        values = [table[256, name][i] for name in PAYLOADS]
        axis.barh([k + 0.27 * i for k in range(len(PAYLOADS))], values, height=0.27, color=color, label=fmt)
    axis.set_yticks([k + 0.27 for k in range(len(PAYLOADS))], list(PAYLOADS))
    axis.invert_yaxis()
    axis.set_title(title)
    axis.spines[["top", "right"]].set_visible(False)
axes[1].set_xscale("log")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=3, frameon=False)
fig.savefig("grpc_vs_rest_payloads.svg", transparent=True)
print("saved grpc_vs_rest_payloads.svg")
# --8<-- [end:plot]

"""Synchronous vs asynchronous data parallelism on a problem small enough to follow:
least squares, two workers, each holding half of the data. Plain NumPy, no devices."""

# --8<-- [start:simulate]
import numpy as np

rng = np.random.default_rng(0)
X = rng.normal(size=(512, 8))
Y = X @ rng.normal(size=8)
shards = np.array_split(np.arange(512), 2)  # worker 0 and worker 1
LR = 0.05


def gradient(w, rows):
    return 2 * X[rows].T @ (X[rows] @ w - Y[rows]) / len(rows)


def loss(w):
    return float(np.mean((X @ w - Y) ** 2))


def synchronous(steps):
    # Each step waits for both workers, averages their gradients, applies one update.
    w = np.zeros(8)
    for _ in range(steps):
        w = w - LR * (gradient(w, shards[0]) + gradient(w, shards[1])) / 2
    return w


def asynchronous(arrivals):
    # Each worker applies its gradient the moment it is done, without waiting. The
    # gradient was computed on the weights it read last time; others may have moved them.
    w, read, read_at, staleness = np.zeros(8), [np.zeros(8)] * 2, [0, 0], []
    for update, k in enumerate(arrivals):  # k = the worker whose gradient arrives
        staleness.append(update - read_at[k])  # updates it did not see
        w = w - LR * gradient(read[k], shards[k]) / 2
        read[k], read_at[k] = w, update + 1
    return w, max(staleness)


one_device = np.zeros(8)
for _ in range(30):
    one_device = one_device - LR * gradient(one_device, np.arange(512))
print("sync (2 workers) == one device, same global batch:",
      np.allclose(synchronous(30), one_device))

# 60 gradients in both cases; only the workers' relative speed differs.
for name, arrivals in [("equally fast", [0, 1] * 30), ("worker 1 is 3x slower", [0, 0, 0, 1] * 15)]:
    w, worst = asynchronous(arrivals)
    print(f"async, {name}: loss {loss(w):.4f}, max staleness {worst}")
print(f"sync, either speed:            loss {loss(synchronous(30)):.4f}")
# --8<-- [end:simulate]

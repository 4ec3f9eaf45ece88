"""What a Python client's garbage collector adds to REST's tail latency: JSON encoding of 256
digits images, in a process that has imported TensorFlow, with the collector as it is and with
every object alive after the imports frozen out of its view (gc.freeze)."""

# --8<-- [start:client-gc]
import gc
import json
import time

import numpy as np


def encode_256_rows(rows, calls=100):
    """p50 and p90 ms of json.dumps for one request body, the full collections the calls set
    off, and how many objects each full collection walks (all the collector tracks)."""
    full_before = gc.get_stats()[2]["collections"]
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        json.dumps({"instances": rows.tolist()}).encode()
        times.append(time.perf_counter() - start)
    full = gc.get_stats()[2]["collections"] - full_before
    return np.percentile(times, 50) * 1000, np.percentile(times, 90) * 1000, full, len(gc.get_objects())


CLIENT_GC = {"collector as it is": encode_256_rows(x_test[:256])}
gc.collect()
gc.freeze()  # everything alive now (TensorFlow, Keras, this notebook) leaves the collector's view
CLIENT_GC["after gc.freeze()"] = encode_256_rows(x_test[:256])
gc.unfreeze()  # back as it was, for the blocks that follow

print("collector | encode p50 ms | encode p90 ms | full collections | objects each walks")
for state, (p50, p90, full, walked) in CLIENT_GC.items():
    print(f"{state} | {p50:.1f} | {p90:.1f} | {full} | {walked:,}")
# --8<-- [end:client-gc]

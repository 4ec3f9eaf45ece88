"""End-to-end latency of one predict call against the running server: REST JSON, REST JSON
with gzip, and gRPC, each call including the client's encoding and decoding."""

# --8<-- [start:latency]
import gzip
import json
import time

import numpy as np


def rest_call(rows, compress=False):
    body = json.dumps({"instances": rows.tolist()}).encode()
    headers = {"Content-Type": "application/json"}
    if compress:
        body, headers["Content-Encoding"] = gzip.compress(body, compresslevel=6), "gzip"
    response = session.post(f"{REST}/v1/models/digits:predict", data=body, headers=headers, timeout=(1, 30))
    response.raise_for_status()
    return np.asarray(response.json()["predictions"], dtype=np.float32)


def grpc_call(rows):
    return predict_grpc(rows, timeout=30)[0]


def latency_ms(call, rows, calls):
    for _ in range(3):  # warm up connections and the server's code paths
        call(rows)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call(rows)
        times.append(time.perf_counter() - start)
    # p90, not p99: with 40 to 200 calls a cell, p99 is the slowest call or two, which on a
    # shared machine measures the machine, not the protocol.
    return np.percentile(times, 50) * 1000, np.percentile(times, 90) * 1000


LATENCY = {}  # batch -> [(p50, p90) for REST, REST+gzip, gRPC]
print("rows | REST p50 / p90 | REST+gzip p50 / p90 | gRPC p50 / p90   (ms)")
for batch, calls in ((1, 200), (32, 100), (256, 40)):
    rows = x_test[:batch]
    results = LATENCY[batch] = [latency_ms(call, rows, calls) for call in
               (rest_call, lambda r: rest_call(r, compress=True), grpc_call)]
    print(f"{batch} | " + " | ".join(f"{p50:.1f} / {p90:.1f}" for p50, p90 in results))
# --8<-- [end:latency]

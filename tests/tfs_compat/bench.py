"""Latency/throughput benchmark of the model server (not a test).

Starts ``python -m tfs_compat`` on a loopback port with a Dense 784 -> 10 softmax model
(tests/tfs_compat/models.py write_dense), then for batch sizes 1, 32 and 256 sends a bounded
number of sequential Predict requests over REST and gRPC, and runs the same signature
in-process with a ``tf.compat.v1`` session (what a TF1 SavedModel server does per request).
Prints a markdown table of p50/p99 latency and requests/s.

Client-side encoding is done once before timing (the JSON body and the PredictRequest proto
are prepared up front), so the REST and gRPC columns measure transport + server work.

    python tests/tfs_compat/bench.py [--requests 200] [--batches 1,32,256] [--warmup 5]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make "tests.tfs_compat" importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402


def percentiles(samples_s):
    a = np.asarray(samples_s) * 1000.0
    return float(np.percentile(a, 50)), float(np.percentile(a, 99))


def timed(fn, n, warmup):
    for _ in range(warmup):
        fn()
    lat = []
    t0 = time.perf_counter()
    for _ in range(n):
        s = time.perf_counter()
        fn()
        lat.append(time.perf_counter() - s)
    total = time.perf_counter() - t0
    return lat, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark REST vs gRPC vs in-process predict.")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per cell")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--batches", default="1,32,256")
    parser.add_argument("--start-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    import grpc
    import requests
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    from tests.tfs_compat import models
    from tfs_compat.launcher import Server, free_port

    rows = []
    with tempfile.TemporaryDirectory(prefix="tfs-bench-") as tmp:
        tmp = Path(tmp)
        export_dir, w, b = models.write_dense(tmp / "dense", 1)
        rng = np.random.default_rng(0)

        # -- in-process: tf.compat.v1 session on the same SavedModel ---------------------------
        graph = tf.Graph()
        sess = tf.compat.v1.Session(graph=graph)
        with graph.as_default():
            meta = tf.compat.v1.saved_model.loader.load(sess, ["serve"], str(export_dir))
        sig = meta.signature_def["serving_default"]
        feed_name = sig.inputs["x"].name
        fetch_name = sig.outputs["probabilities"].name

        srv = Server([f"--port={free_port()}", f"--rest_api_port={free_port()}", "--model_name=dense",
                      f"--model_base_path={export_dir.parent}"], log_path=tmp / "bench-server.log")
        srv.start()
        try:
            srv.wait_available(timeout=args.start_timeout)
            http = requests.Session()
            channel = grpc.insecure_channel(srv.grpc_target)
            stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
            url = f"{srv.rest_url}/v1/models/dense:predict"
            for batch in batches:
                x = rng.standard_normal((batch, 784)).astype(np.float32)
                want = tf.nn.softmax(x @ w + b).numpy()
                body = json.dumps({"instances": x.tolist()}).encode()  # bytes: requests sends them as they are
                req = predict_pb2.PredictRequest()
                req.model_spec.name = "dense"
                req.inputs["x"].CopyFrom(tf.make_tensor_proto(x))

                # correctness once per batch size
                got = np.asarray(http.post(url, data=body, timeout=60).json()["predictions"])
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
                got = tf.make_ndarray(stub.Predict(req, timeout=60).outputs["probabilities"])
                np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)

                def rest_call():
                    r = http.post(url, data=body, timeout=60)
                    if r.status_code != 200:
                        raise RuntimeError(r.text)

                def grpc_call():
                    stub.Predict(req, timeout=60)

                def direct_call():
                    sess.run(fetch_name, feed_dict={feed_name: x})

                for name, fn in (("REST", rest_call), ("gRPC", grpc_call), ("in-process session", direct_call)):
                    lat, total = timed(fn, args.requests, args.warmup)
                    p50, p99 = percentiles(lat)
                    rows.append((name, batch, args.requests, p50, p99, args.requests / total,
                                 args.requests * batch / total))
            channel.close()
            http.close()
        finally:
            srv.stop()
            sess.close()

    print(f"\nDense 784->10 softmax, sequential client, {args.requests} timed requests per row "
          f"(+{args.warmup} warm-up), loopback, {os.cpu_count()} CPUs\n")
    print("| path | batch | requests | p50 ms | p99 ms | requests/s | rows/s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, batch, n, p50, p99, rps, rows_s in rows:
        print(f"| {name} | {batch} | {n} | {p50:.2f} | {p99:.2f} | {rps:.1f} | {rows_s:.0f} |")
    p50s = {(name, batch): p50 for name, batch, _, p50, *_ in rows}
    print("\n| batch | REST p50 / gRPC p50 | REST p50 - gRPC p50 (ms) |\n|---:|---:|---:|")
    for batch in batches:
        rest, grpc_ = p50s[("REST", batch)], p50s[("gRPC", batch)]
        print(f"| {batch} | {rest / grpc_:.1f} | {rest - grpc_:.2f} |")
    # The compatible server's targets (tfs_compat/README.md): REST costs what a C++ REST front would,
    # within 10 times gRPC at 256 rows and within 2 ms of it at one row. Printed, never asserted:
    # a benchmark on a shared machine is no test.
    targets = [(256, "REST p50 <= 10 x gRPC p50", lambda r, g: r <= 10 * g),
               (1, "REST p50 - gRPC p50 <= 2 ms", lambda r, g: r - g <= 2.0)]
    for batch, text, holds in targets:
        if batch in batches:
            rest, grpc_ = p50s[("REST", batch)], p50s[("gRPC", batch)]
            print(f"target at batch {batch}, {text}: {'met' if holds(rest, grpc_) else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

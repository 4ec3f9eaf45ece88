"""Continuous client load through the load balancer: one REST client and one gRPC client call
predict in a loop until stopped, and count what came back. Bounded in time and in count."""

# --8<-- [start:load]
import threading
import time
from collections import Counter

import grpc
import numpy as np
import requests
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc


class Load:
    """`with Load(rest_url, grpc_target) as load:` keeps two clients busy inside the block."""

    def __init__(self, rest_url, grpc_target, pixels, model="digits", max_seconds=60,
                 max_requests=20_000, pause=0.005):
        self.rest_url, self.grpc_target, self.model = rest_url, grpc_target, model
        self.pixels = np.asarray(pixels, dtype=np.uint8)[:1]  # one image per request
        self.deadline = time.monotonic() + max_seconds
        self.max_requests, self.pause = max_requests, pause
        self.ok = Counter()        # "rest" / "grpc" -> answered requests
        self.versions = Counter()  # model version that answered (gRPC responses name it)
        self.failures = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(client,), daemon=True)
                         for client in (self._rest_client(), self._grpc_client())]

    def _rest_client(self):
        session = requests.Session()
        url = f"{self.rest_url}/v1/models/{self.model}:predict"
        body = {"instances": self.pixels.tolist()}

        def call():
            response = session.post(url, json=body, timeout=10)
            response.raise_for_status()
            assert len(response.json()["predictions"][0]) == 10
            return "rest", None
        return call

    def _grpc_client(self):
        stub = prediction_service_pb2_grpc.PredictionServiceStub(
            grpc.insecure_channel(self.grpc_target))
        request = predict_pb2.PredictRequest()
        request.model_spec.name = self.model
        request.inputs["pixels"].CopyFrom(tf.make_tensor_proto(self.pixels))

        def call():
            response = stub.Predict(request, timeout=10)
            return "grpc", response.model_spec.version.value
        return call

    def _run(self, call):
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            if sum(self.ok.values()) + len(self.failures) >= self.max_requests:
                break
            try:
                client, version = call()
                self.ok[client] += 1
                if version is not None:
                    self.versions[version] += 1
            except Exception as error:  # a failed request is the measurement, not a crash
                self.failures.append(repr(error)[:200])
            time.sleep(self.pause)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def report(self):
        total = sum(self.ok.values()) + len(self.failures)
        return f"{total} requests (REST and gRPC), {len(self.failures)} failed"
# --8<-- [end:load]

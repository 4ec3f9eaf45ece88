"""Continuous client load through the load balancer: the REST and gRPC clients of the gRPC-or-REST
page (predict_rest, predict_grpc) call predict in loops on two threads until stopped, and the
answers and failures are counted. Bounded in time and in count."""

# --8<-- [start:load]
import threading
import time
from collections import Counter


class Load:
    """`with Load(rows) as load:` keeps one REST and one gRPC client busy inside the block."""

    def __init__(self, rows, max_seconds=60, max_requests=20_000, pause=0.005):
        self.rows, self.pause = rows, pause
        self.deadline, self.max_requests = time.monotonic() + max_seconds, max_requests
        self.ok = Counter()        # "REST" / "gRPC" -> answered requests
        self.versions = Counter()  # model version that answered (gRPC responses name it)
        self.failures = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(name, call), daemon=True)
                         for name, call in (("REST", self._rest), ("gRPC", self._grpc))]

    def _rest(self):
        predict_rest(self.rows)  # no retries of its own: nginx retries REST

    def _grpc(self):
        self.versions[predict_grpc(self.rows)[1]] += 1  # retries UNAVAILABLE (SERVICE_CONFIG)

    def _run(self, name, call):
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            if self.count() >= self.max_requests:
                break
            try:
                call()
                self.ok[name] += 1
            except Exception as error:  # a failed request is the measurement, not a crash
                self.failures.append(f"{name}: {error!r}"[:200])
            time.sleep(self.pause)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def wait_for(self, requests, timeout=30):
        """Block until `requests` more calls have been answered or have failed (bounded)."""
        target, deadline = self.count() + requests, time.monotonic() + timeout
        while self.count() < target and time.monotonic() < deadline:
            time.sleep(0.05)

    def count(self):
        return sum(self.ok.values()) + len(self.failures)

    def report(self):
        return f"{self.count()} requests (REST and gRPC), {len(self.failures)} failed"
# --8<-- [end:load]

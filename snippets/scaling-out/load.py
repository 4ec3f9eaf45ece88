"""Continuous client load through the load balancer: the REST and gRPC clients of the gRPC-or-REST
page (predict_rest, predict_grpc) call predict in loops on two threads until stopped, and every
call is accounted for: answered, failed, or still running when the load stops (counted as failed).
A run proves something only if calls were sent after the event it is about (a kill, a new
version): `report` says how many, and refuses to report fewer than the stated minimum."""

# --8<-- [start:load]
import threading
import time
from collections import Counter


class Load:
    """`with Load(rows) as load:` keeps one REST and one gRPC client busy inside the block."""

    def __init__(self, rows, max_seconds=120, max_requests=20_000, pause=0.005, join_timeout=15):
        self.rows, self.pause, self.join_timeout = rows, pause, join_timeout  # join: > any call's timeout
        self.deadline, self.max_requests = time.monotonic() + max_seconds, max_requests
        self.sent = 0              # calls started; call number n is the n-th started
        self.answered = []         # (call number, "REST" / "gRPC", model version or None)
        self.failures = []         # (call number, what went wrong)
        self.event, self.event_at = None, None  # the event and the first call number after it
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(name, call), daemon=True)
                         for name, call in (("REST", self._rest), ("gRPC", self._grpc))]
        self._final = None         # (answered, failures) frozen when the block ends

    def _rest(self):
        predict_rest(self.rows)  # no retries of its own: nginx retries REST
        return None

    def _grpc(self):
        return predict_grpc(self.rows)[1]  # retries UNAVAILABLE (SERVICE_CONFIG); names the version

    def _run(self, name, call):
        while not self._stop.is_set() and time.monotonic() < self.deadline:
            with self._lock:
                if self.sent >= self.max_requests:
                    break
                number, self.sent = self.sent, self.sent + 1
            try:
                version = call()
                self.answered.append((number, name, version))
            except Exception as error:  # a failed request is the measurement, not a crash
                self.failures.append((number, f"{name}: {error!r}"[:200]))
            time.sleep(self.pause)

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=self.join_timeout)
        with self._lock:
            answered, failures = list(self.answered), list(self.failures)
            done = {number for number, *_ in answered} | {number for number, _ in failures}
            # A call that never returned is a failure, not silence.
            failures += [(n, "no answer when the load stopped") for n in range(self.sent) if n not in done]
            self._final = (answered, failures)

    def mark(self, event):
        """Note the event the run is about: report() counts the calls sent after it."""
        with self._lock:
            self.event, self.event_at = event, self.sent

    def wait_for(self, requests, timeout=60):
        """Block until `requests` calls sent from now on have finished (answered or failed);
        raise TimeoutError if they have not within `timeout` s: a stalled load proves nothing."""
        first, deadline = self.sent, time.monotonic() + timeout
        while True:
            finished = sum(number >= first for number, *_ in self.answered + self.failures)
            if finished >= requests:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {finished} of {requests} calls finished in {timeout} s")
            time.sleep(0.05)

    def versions(self, since=0):
        """Model versions that answered gRPC calls (those numbered `since` or later: load.sent
        read at some moment is the number of the first call sent after that moment)."""
        answered, _ = self._final
        return sorted({version for number, _, version in answered if version is not None and number >= since})

    def report(self, at_least):
        """"N requests: A answered, F failed; K sent after <event>"; fails if K < at_least."""
        if self._final is None or self.event is None:
            raise RuntimeError("report() needs a finished `with Load(...)` block and a mark(event)")
        answered, failures = self._final
        after = self.sent - self.event_at
        if after < at_least:
            raise AssertionError(f"only {after} calls sent after {self.event}: at least {at_least} "
                                 "are needed to show what happens after it")
        return (f"{self.sent} requests (REST and gRPC): {len(answered)} answered, {len(failures)} failed; "
                f"{after} sent after {self.event} (at least {at_least})")
# --8<-- [end:load]

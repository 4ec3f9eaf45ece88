"""Server-side request batching (--enable_batching), like BatchingSession.

Sources: batching/batching_session.cc (merge along dim 0, padding to
allowed_batch_sizes by repeating the first row, split results, error texts,
wrapped_run_count metric), TF kernels/batching_util/shared_batch_scheduler.h
(defaults: max_batch_size 1000, batch_timeout_micros 0, max_enqueued_batches
10, num_batch_threads = #CPUs; queue-full error), servables/tensorflow/
session_bundle_config.proto (BatchingParameters). One queue per (servable,
signature, feeds, fetches); a pool of num_batch_threads workers runs batches.
Deadlines do not split queues: each task keeps its own RunOptions timeout and
a batch runs with the latest remaining deadline of its tasks, failing with
RESOURCE_EXHAUSTED only if every task's deadline passed while it was queued
(batching_session.cc ProcessBatch).
"""
import os
import threading
import time

import numpy as np

from . import metrics
from .errors import ServingError, C, invalid_argument, failed_precondition


def _val(field, default, params):
    return getattr(params, field).value if params.HasField(field) else default


class _Task:
    __slots__ = ("feeds", "size", "done", "result", "error", "t0", "deadline")

    def __init__(self, feeds, size, timeout_ms):
        self.feeds, self.size = feeds, size
        self.done = threading.Event()
        self.result = self.error = None
        self.t0 = time.monotonic()
        # RunOptions.timeout_in_ms <= 0 means no timeout.
        self.deadline = self.t0 + timeout_ms / 1000.0 if timeout_ms and timeout_ms > 0 else None


class _Queue:
    def __init__(self, servable, feed_names, fetch_names, sig):
        self.servable, self.feed_names, self.fetch_names, self.sig = servable, feed_names, fetch_names, sig
        self.tasks = []


class BatchScheduler:
    def __init__(self, params):
        self.max_batch = _val("max_batch_size", 1000, params)
        self.timeout = _val("batch_timeout_micros", 0, params) / 1e6
        self.max_enqueued = _val("max_enqueued_batches", 10, params)
        self.threads_n = _val("num_batch_threads", os.cpu_count() or 1, params)
        self.allowed = list(params.allowed_batch_sizes)
        self.pad = params.pad_variable_length_inputs
        if self.allowed:
            for a, b in zip(self.allowed, self.allowed[1:]):
                if b <= a:
                    raise invalid_argument("allowed_batch_sizes entries must be monotonically increasing")
            if self.allowed[-1] != self.max_batch:
                raise invalid_argument("Last entry in allowed_batch_sizes must match max_batch_size; last entry "
                                       "was %d; expected %d" % (self.allowed[-1], self.max_batch))
        self.cond = threading.Condition()
        self.queues = {}
        self.stopping = False
        self.workers = [threading.Thread(target=self._work, daemon=True, name="batch-%d" % i)
                        for i in range(max(int(self.threads_n), 1))]
        for w in self.workers:
            w.start()

    def for_servable(self, servable):
        return _ServableBatcher(self, servable)

    def stop(self):
        with self.cond:
            self.stopping = True
            self.cond.notify_all()

    def submit(self, key, make_queue, task):
        with self.cond:
            q = self.queues.get(key)
            if q is None:
                q = self.queues[key] = make_queue()
            pending = sum(t.size for t in q.tasks)
            batches = -(-(pending + task.size) // self.max_batch)
            if batches > self.max_enqueued:
                raise ServingError(C.UNAVAILABLE, "The batch scheduling queue to which this task was submitted is full")
            q.tasks.append(task)
            self.cond.notify_all()

    def _take(self):
        """Pick a ready batch (full, or oldest task older than the timeout)."""
        now = time.monotonic()
        wait = None
        for key, q in list(self.queues.items()):
            if not q.tasks:
                del self.queues[key]  # an empty queue is dropped: it would pin an unloaded servable
                continue
            total = sum(t.size for t in q.tasks)
            age = now - q.tasks[0].t0
            if total >= self.max_batch or age >= self.timeout:
                batch, size = [], 0
                while q.tasks and size + q.tasks[0].size <= self.max_batch:
                    t = q.tasks.pop(0)
                    batch.append(t)
                    size += t.size
                return q, batch, None
            rem = self.timeout - age
            wait = rem if wait is None else min(wait, rem)
        return None, None, wait

    def _work(self):
        while True:
            with self.cond:
                while True:
                    if self.stopping:
                        return
                    q, batch, wait = self._take()
                    if batch:
                        break
                    self.cond.wait(wait if wait is not None else 1.0)
            self._run(q, batch)

    @staticmethod
    def _batch_timeout_ms(batch):
        """ProcessBatch: the latest task deadline, or None if every task's deadline has passed."""
        now = time.monotonic()
        if any(t.deadline is None for t in batch):
            return 0
        latest = max(t.deadline for t in batch)
        if latest <= now:
            return None
        return max(int((latest - now) * 1000), 1)

    def _run(self, q, batch):
        try:
            timeout_ms = self._batch_timeout_ms(batch)
            if timeout_ms is None:
                raise ServingError(C.RESOURCE_EXHAUSTED, "Run() timeout exceeded while waiting in batching queue")
            total = sum(t.size for t in batch)
            padded = total
            if self.allowed:
                padded = next(a for a in self.allowed if a >= total)
            merged = []
            for i, name in enumerate(q.feed_names):
                parts = [t.feeds[i] for t in batch]
                shapes = {p.shape[1:] for p in parts}
                if len(shapes) > 1:
                    raise failed_precondition(
                        "Tensors with name '%s' from different tasks have different shapes and padding is turned "
                        "off. Set pad_variable_length_inputs to true, or ensure that all tensors with the same name "
                        "have equal dimensions starting with the first dim." % name)
                if padded > total:
                    parts.append(np.repeat(parts[0][:1], padded - total, axis=0))
                merged.append(np.concatenate(parts, axis=0) if len(parts) > 1 else parts[0])
            metrics.inc(metrics.wrapped_run_count)
            # batching_session.cc MergeInputTensors records these before running the merged batch.
            metrics.observe(metrics.padding_size, padded - total, str(padded))
            metrics.observe(metrics.processed_batch_size, padded)
            outs = q.servable.run(q.feed_names, merged, q.fetch_names, timeout_ms)
            off = 0
            for t in batch:
                res = []
                for o in outs:
                    o = np.asarray(o)
                    if o.ndim == 0 or o.shape[0] != padded:
                        raise ServingError(C.INTERNAL, "Batched output tensor's 0th dimension does not equal the sum "
                                                       "of the 0th dimension sizes of the input tensors")
                    res.append(o[off:off + t.size])
                t.result = res
                off += t.size
        except ServingError as e:
            for t in batch:
                t.error = e
        except Exception as e:  # noqa: BLE001
            for t in batch:
                t.error = ServingError(C.INTERNAL, "%s: %s" % (type(e).__name__, e))
        for t in batch:
            t.done.set()


class _ServableBatcher:
    def __init__(self, sched, servable):
        self.sched, self.servable = sched, servable

    def run(self, sig, feed_names, feed_values, fetch_names, timeout_ms):
        if not feed_values:
            return self.servable.run(feed_names, feed_values, fetch_names, timeout_ms)
        sizes = set()
        for v in feed_values:
            if v.ndim == 0:
                raise invalid_argument("Batching Run() input tensors must have at least one dimension")
            sizes.add(v.shape[0])
        if len(sizes) != 1:
            raise invalid_argument("Batching Run() input tensors must have equal 0th-dimension size")
        size = sizes.pop()
        for v in feed_values:  # batching_session.cc ComputeInputSize: one sample per input tensor
            metrics.observe(metrics.input_batch_size, v.shape[0])
        if size > self.sched.max_batch:
            raise invalid_argument("Task size %d is larger than maximum input batch size %d"
                                   % (size, self.sched.max_batch))
        key = (id(self.servable), sig, tuple(feed_names), tuple(fetch_names))
        task = _Task(feed_values, size, timeout_ms)
        self.sched.submit(key, lambda: _Queue(self.servable, tuple(feed_names), tuple(fetch_names), sig), task)
        task.done.wait()
        if task.error is not None:
            raise task.error
        return task.result

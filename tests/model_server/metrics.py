"""In-process metrics rendered in TF Serving's Prometheus text format.

Names/labels from servables/tensorflow/util.cc (request_count,
request_latency, runtime_latency), batching/batching_session.cc; format from
util/prometheus_exporter.cc: `# TYPE` lines, no HELP, int64 values, buckets
`le="<limit>"` ending with `+Inf`, then _sum and _count.
"""
import threading

# util.cc: request latency buckets 10 * 1.8^i, 33 buckets (µs).
LATENCY_BUCKETS = [10 * 1.8 ** i for i in range(33)]
# batching_util.h: Buckets::Exponential(1, 2, 14), i.e. 1 .. 8192, then +Inf.
BATCH_SIZE_BUCKETS = [2 ** i for i in range(14)]


class Counter:
    def __init__(self, name, labels):
        self.name, self.labels, self.values = name, labels, {}

    def inc(self, *labels, n=1):
        self.values[labels] = self.values.get(labels, 0) + n


class Histogram:
    def __init__(self, name, labels, buckets):
        self.name, self.labels, self.buckets, self.values = name, labels, buckets, {}

    def observe(self, v, *labels):
        h = self.values.get(labels)
        if h is None:
            h = self.values[labels] = [[0] * (len(self.buckets) + 1), 0.0, 0]
        i = 0
        while i < len(self.buckets) and v >= self.buckets[i]:
            i += 1
        h[0][i] += 1
        h[1] += v
        h[2] += 1


_lock = threading.Lock()
REGISTRY = []


def _reg(m):
    REGISTRY.append(m)
    return m


request_count = _reg(Counter(":tensorflow:serving:request_count", ("model_name", "status")))
request_latency = _reg(Histogram(":tensorflow:serving:request_latency", ("model_name", "API", "entrypoint"),
                                 LATENCY_BUCKETS))
runtime_latency = _reg(Histogram(":tensorflow:serving:runtime_latency", ("model_name", "API", "runtime"),
                                 LATENCY_BUCKETS))
wrapped_run_count = _reg(Counter(":tensorflow:serving:batching_session:wrapped_run_count", ()))
# batching/batching_util.h RecordInputBatchSize / RecordProcessedBatchSize / RecordPaddingSize.
input_batch_size = _reg(Histogram(":tensorflow:serving:batching_session:input_batch_size", (), BATCH_SIZE_BUCKETS))
processed_batch_size = _reg(Histogram(":tensorflow:serving:batching_session:processed_batch_size", (),
                                      BATCH_SIZE_BUCKETS))
padding_size = _reg(Histogram(":tensorflow:serving:batching_session:padding_size", ("execution_batch_size",),
                              BATCH_SIZE_BUCKETS))


def record_request(model_name, code_name):
    with _lock:
        request_count.inc(model_name, code_name)


def record_latency(model_name, api, entrypoint, micros):
    with _lock:
        request_latency.observe(micros, model_name, api, entrypoint)


def observe(hist, v, *labels):
    with _lock:
        hist.observe(v, *labels)


def inc(counter, *labels, n=1):
    with _lock:
        counter.inc(*labels, n=n)


def _lbl(names, values, extra=None):
    pairs = ['%s="%s"' % (k, v) for k, v in zip(names, values)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _num(x):
    return "%d" % x if float(x).is_integer() else repr(float(x))


def render():
    out = []
    with _lock:
        for m in REGISTRY:
            if not m.values:
                continue
            if isinstance(m, Counter):
                out.append("# TYPE %s counter" % m.name)
                for labels, v in sorted(m.values.items()):
                    out.append("%s%s %d" % (m.name, _lbl(m.labels, labels), v))
            else:
                out.append("# TYPE %s histogram" % m.name)
                for labels, (counts, total, n) in sorted(m.values.items()):
                    cum = 0
                    for limit, c in zip(m.buckets + [None], counts):
                        cum += c
                        le = 'le="+Inf"' if limit is None else 'le="%s"' % _num(limit)
                        out.append("%s_bucket%s %d" % (m.name, _lbl(m.labels, labels, le), cum))
                    out.append("%s_sum%s %d" % (m.name, _lbl(m.labels, labels), int(total)))  # int64 values
                    out.append("%s_count%s %d" % (m.name, _lbl(m.labels, labels), n))
    return "\n".join(out) + "\n" if out else ""

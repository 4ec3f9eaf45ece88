"""In-process metrics rendered in TF Serving's Prometheus text format.

Names/labels from servables/tensorflow/util.cc (request_count,
request_latency, runtime_latency), batching/batching_session.cc; format from
util/prometheus_exporter.cc: `# TYPE` lines, no HELP, int64 values, buckets
`le="<limit>"` ending with `+Inf`, then _sum and _count.
"""
import logging
import threading

log = logging.getLogger("tensorflow_serving")

# TF Serving keeps one cell per label tuple for as long as the process lives, so any client can grow
# the request_count/request_latency label sets without limit by naming models that do not exist.
# This server keeps at most this many label tuples per metric and drops the rest (README, deviations).
MAX_LABEL_SETS = 1000

# util.cc: request latency buckets 10 * 1.8^i, 33 buckets (µs).
LATENCY_BUCKETS = [10 * 1.8 ** i for i in range(33)]
# batching_util.h: Buckets::Exponential(1, 2, 14), i.e. 1 .. 8192, then +Inf.
BATCH_SIZE_BUCKETS = [2 ** i for i in range(14)]


def _room_for(metric, labels):
    """True if `labels` has a cell or may get one (bounded label sets)."""
    if labels in metric.values:
        return True
    if len(metric.values) < MAX_LABEL_SETS:
        return True
    if not metric.full_logged:
        metric.full_logged = True
        log.warning("metric %s holds %d label sets; new label sets are not recorded", metric.name, MAX_LABEL_SETS)
    return False


class Counter:
    def __init__(self, name, labels):
        self.name, self.labels, self.values, self.full_logged = name, labels, {}, False

    def inc(self, *labels, n=1):
        if _room_for(self, labels):
            self.values[labels] = self.values.get(labels, 0) + n


class Histogram:
    def __init__(self, name, labels, buckets):
        self.name, self.labels, self.buckets, self.values, self.full_logged = name, labels, buckets, {}, False

    def observe(self, v, *labels):
        h = self.values.get(labels)
        if h is None:
            if not _room_for(self, labels):
                return
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


# TF's own SavedModel loader counts every load (tensorflow/cc/saved_model/loader.cc, load_attempt_count
# with status "success" or "fail", and load_latency in microseconds), so TF Serving's metrics page has
# samples as soon as a model has loaded, before any request.
load_attempt_count = _reg(Counter(":tensorflow:cc:saved_model:load_attempt_count", ("model_path", "status")))
load_latency = _reg(Counter(":tensorflow:cc:saved_model:load_latency", ("model_path",)))
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


def _label_value(v):
    """prometheus_exporter.cc SanitizeLabelValue escapes \\ and "; this server also escapes a newline,
    which TF Serving writes raw (it would end the sample line: README, deviations)."""
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _lbl(names, values, extra=None):
    pairs = ['%s="%s"' % (k, _label_value(v)) for k, v in zip(names, values)]
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


def render_bytes():
    """The page as bytes. Label values are model names taken from URLs and protos: a name that is not
    valid UTF-8 arrives as surrogate escapes and leaves as its original bytes (TF Serving's labels are
    byte strings), so rendering never fails."""
    page = render()
    try:
        return page.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte: keep its UTF-8 form
        return page.encode("utf-8", "surrogatepass")

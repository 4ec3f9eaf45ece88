"""TF Serving's Prometheus metrics, and what they show about server-side batching: many one-row
requests in flight at once run as fewer, larger batches."""

# --8<-- [start:scrape]
import re

import requests


def scrape(rest_url):
    """TF Serving's Prometheus metrics (enabled by monitoring.config) as {series: value}."""
    text = requests.get(f"{rest_url}/monitoring/prometheus/metrics", timeout=5).text
    return {m.group(1): float(m.group(2))
            for m in re.finditer(r"^(\S+?(?:\{[^}]*\})?) (\S+)$", text, flags=re.M)}


def total(metrics, name):
    """Sum of a metric over all its label sets ({} or {model_name="digits",...})."""
    return sum(value for series, value in metrics.items() if series.split("{")[0] == name)
# --8<-- [end:scrape]

# --8<-- [start:metrics]
for series, value in scrape(REST).items():
    if series.startswith(":tensorflow:serving:request_count"):
        print(series, int(value))
# --8<-- [end:metrics]

# --8<-- [start:batching]
from concurrent.futures import ThreadPoolExecutor

BATCHES = ":tensorflow:serving:batching_session:processed_batch_size"
before = scrape(REST)
with ThreadPoolExecutor(max_workers=32) as pool:  # 32 clients, one image per request
    list(pool.map(lambda i: predict_grpc(x_test[i:i + 1]), range(256)))
after = scrape(REST)
rows = total(after, f"{BATCHES}_sum") - total(before, f"{BATCHES}_sum")
runs = total(after, f"{BATCHES}_count") - total(before, f"{BATCHES}_count")
print(f"{int(rows)} rows in {int(runs)} session runs; several rows per run: {rows > runs > 0}")
# --8<-- [end:batching]

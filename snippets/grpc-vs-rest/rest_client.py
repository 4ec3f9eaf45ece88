"""A TF Serving REST client with requests: predict, status, metadata, binary input, timeouts,
retries and TF Serving's errors. The gRPC twin is snippets/grpc-vs-rest/grpc_client.py."""

# --8<-- [start:predict]
import numpy as np
import requests

REST = "http://127.0.0.1:8501"
session = requests.Session()  # keep-alive: one TCP connection for all the calls below


def predict_rest(pixels, model="digits"):
    """Class probabilities for a batch of uint8 images, shape (n, 8, 8, 1)."""
    body = {"instances": np.asarray(pixels, dtype=np.uint8).tolist()}  # row format
    response = session.post(f"{REST}/v1/models/{model}:predict", json=body, timeout=(1, 10))
    raise_for_tf_serving(response)
    return np.asarray(response.json()["predictions"], dtype=np.float32)


probabilities = predict_rest(x_test[:3])
print(probabilities.shape, probabilities.argmax(axis=1), y_test[:3])
# --8<-- [end:predict]

# --8<-- [start:status]
status = session.get(f"{REST}/v1/models/digits", timeout=5).json()
print(status["model_version_status"])
metadata = session.get(f"{REST}/v1/models/digits/metadata", timeout=5).json()
signature = metadata["metadata"]["signature_def"]["signature_def"]["serving_default"]
print({name: spec["dtype"] for name, spec in signature["inputs"].items()},
      {name: spec["dtype"] for name, spec in signature["outputs"].items()})
# --8<-- [end:status]

# --8<-- [start:b64]
import base64

import tensorflow as tf

png = tf.io.encode_png(x_test[0]).numpy()  # the bytes of a PNG file
# JSON has no bytes type: a DT_STRING value travels as {"b64": "<base64 text>"}.
body = {"instances": [{"b64": base64.b64encode(png).decode("ascii")}]}
response = session.post(f"{REST}/v1/models/digits_png:predict", json=body, timeout=(1, 10))
raise_for_tf_serving(response)
print(len(png), "PNG bytes ->", len(body["instances"][0]["b64"]), "base64 characters;",
      "class", np.argmax(response.json()["predictions"][0]))
# --8<-- [end:b64]

# --8<-- [start:errors]
class TFServingError(Exception):
    """A request TF Serving refused: HTTP status plus its {"error": "..."} message."""


def raise_for_tf_serving(response):
    if response.ok:
        return
    try:
        message = response.json()["error"]
    except (ValueError, KeyError):
        message = response.text[:200]
    raise TFServingError(f"HTTP {response.status_code}: {message}")
# --8<-- [end:errors]

# --8<-- [start:errors-demo]
bad_requests = {
    "unknown model": ("nope", {"instances": x_test[:1].tolist()}),
    "floats for uint8": ("digits", {"instances": (x_test[:1] / 255).tolist()}),
    "wrong input name": ("digits", {"inputs": {"image": x_test[:1].tolist()}}),
}
for what, (model, body) in bad_requests.items():
    response = session.post(f"{REST}/v1/models/{model}:predict", json=body, timeout=(1, 10))
    try:
        raise_for_tf_serving(response)
    except TFServingError as error:
        print(f"{what}: {error}")
# --8<-- [end:errors-demo]

# --8<-- [start:retries]
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

retrying = requests.Session()
# Retry refused connections and 503s (a replica restarting) with backoff; predict changes
# nothing on the server, so retrying the POST is safe, but urllib3 must be told.
retry = Retry(total=3, connect=3, backoff_factor=0.1, status_forcelist=[503],
              allowed_methods={"GET", "POST"}, raise_on_status=False)
retrying.mount("http://", HTTPAdapter(max_retries=retry))
# timeout=(connect, read): without it, a stuck server blocks the client forever.
response = retrying.post(f"{REST}/v1/models/digits:predict", json={"instances": x_test[:1].tolist()},
                         timeout=(0.5, 2))
print(response.status_code, np.argmax(response.json()["predictions"][0]))
# --8<-- [end:retries]

# --8<-- [start:retries-at-work]
import http.server
import threading


class Restarting(http.server.BaseHTTPRequestHandler):
    """A replica that is restarting: 503 to the first two requests, then TF Serving's answer."""
    refusals = 2

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status, answer = 503, b""
        if Restarting.refusals:
            Restarting.refusals -= 1
        else:
            upstream = requests.post(f"{REST}{self.path}", data=body, timeout=5)
            status, answer = upstream.status_code, upstream.content
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


stand_in = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Restarting)  # port 0: a free port
threading.Thread(target=stand_in.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{stand_in.server_port}/v1/models/digits:predict"
try:
    plain = requests.post(url, json={"instances": x_test[:1].tolist()}, timeout=(0.5, 2))
    Restarting.refusals = 2
    response = retrying.post(url, json={"instances": x_test[:1].tolist()}, timeout=(0.5, 2))
finally:
    stand_in.shutdown()
    stand_in.server_close()
print("without Retry:", plain.status_code)
print("with Retry:", response.status_code, np.argmax(response.json()["predictions"][0]),
      "after", [attempt.status for attempt in response.raw.retries.history])
# --8<-- [end:retries-at-work]

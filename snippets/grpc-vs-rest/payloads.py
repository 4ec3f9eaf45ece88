"""What a predict request costs before it reaches any server: bytes on the wire and the CPU
time to encode and decode them, for REST's JSON (plain and gzipped) and gRPC's protobuf.
No server is involved, so these numbers hold for TF Serving and any other backend."""

# --8<-- [start:rows]
import numpy as np
import tensorflow as tf

from sklearn.datasets import load_sample_images

# Images at MNIST size, 28x28 = 784 pixels per row, with real pixel values: 256 grayscale crops
# of the two photos that ship with scikit-learn (256 levels, as a camera gives). Every float is
# exactly pixel / 255. Not the digits: their 8x8 images have 17 levels, and resizing them would
# either invent values between levels (bilinear) or repeat each pixel (nearest), which gzip
# compresses far better than any photo.
photos = [tf.image.rgb_to_grayscale(photo).numpy()[..., 0] for photo in load_sample_images().images]
crops = np.stack([photo[y:y + 28, x:x + 28].reshape(784) for photo in photos
                  for y in range(0, photo.shape[0] - 27, 28) for x in range(0, photo.shape[1] - 27, 28)])
image_pixels = crops[np.random.default_rng(0).permutation(len(crops))[:256]]  # uint8, (256, 784)
PAYLOADS = {
    "image float32": image_pixels.astype(np.float32) / 255,            # pixel / 255, in [0, 1]
    "image uint8": image_pixels,                                       # the same pixels, 8-bit
    "dense float32": np.random.default_rng(0).standard_normal((256, 784), dtype=np.float32),
}
BATCHES = (1, 32, 256)
# --8<-- [end:rows]

# --8<-- [start:codecs]
import gzip
import json

from tensorflow_serving.apis import predict_pb2


def rest_body(rows):
    """REST's request body: JSON text, one number per value (row format)."""
    return json.dumps({"instances": rows.tolist()}).encode()


def rest_body_gzip(rows):
    """The same JSON with Content-Encoding: gzip, which TF Serving's HTTP server accepts."""
    return gzip.compress(rest_body(rows), compresslevel=6, mtime=0)


def grpc_body(rows):
    """gRPC's request body: a PredictRequest protobuf; the tensor travels as raw bytes."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "digits"
    request.inputs["pixels"].CopyFrom(tf.make_tensor_proto(rows))
    return request.SerializeToString()


def rest_decode(body, dtype):
    return np.asarray(json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)["instances"],
                      dtype=dtype)


def grpc_decode(body):
    return tf.make_ndarray(predict_pb2.PredictRequest.FromString(body).inputs["pixels"])
# --8<-- [end:codecs]

# --8<-- [start:sizes]
SIZES = {}  # (batch, payload) -> kB as JSON, JSON+gzip, protobuf
print(f"{'rows':>4}  {'payload':<14} {'JSON kB':>8} {'gzip kB':>8} {'proto kB':>8}  JSON/proto  gzip/proto")
for batch in BATCHES:
    for name, rows in PAYLOADS.items():
        sizes = SIZES[batch, name] = [len(encode(rows[:batch])) / 1000
                                      for encode in (rest_body, rest_body_gzip, grpc_body)]
        print(f"{batch:>4}  {name:<14} {sizes[0]:>8.1f} {sizes[1]:>8.1f} {sizes[2]:>8.1f}"
              f"  {sizes[0] / sizes[2]:>10.1f}  {sizes[1] / sizes[2]:>10.1f}")
# --8<-- [end:sizes]

# --8<-- [start:times]
import time


def median_ms(function, budget_s=0.05):
    """Median CPU time of function() in ms: repeated for ~budget_s, at least 5 times. The
    thread's CPU time, not wall time: waiting for a core another job holds does not count."""
    times, start = [], time.thread_time()
    while len(times) < 5 or (time.thread_time() - start < budget_s and len(times) < 1000):
        t0 = time.thread_time()
        function()
        times.append(time.thread_time() - t0)
    return 1000 * float(np.median(times))


COSTS = {}  # (batch, payload) -> ms to encode and decode as JSON, JSON+gzip, protobuf
# One row per line, " | " between cells: no padding, so a number's width can't shift a column.
print("rows | payload | JSON | JSON+gzip | protobuf   (ms to encode and decode)")
for batch in BATCHES:
    for name, rows in PAYLOADS.items():
        rows = rows[:batch]
        json_body, gzip_body, proto_body = rest_body(rows), rest_body_gzip(rows), grpc_body(rows)
        assert np.array_equal(rest_decode(json_body, rows.dtype), rows)  # lossless, all three
        assert np.array_equal(rest_decode(gzip_body, rows.dtype), rows)
        assert np.array_equal(grpc_decode(proto_body), rows)
        cost = COSTS[batch, name] = [median_ms(lambda: rest_body(rows)) + median_ms(lambda: rest_decode(json_body, rows.dtype)),
                median_ms(lambda: rest_body_gzip(rows)) + median_ms(lambda: rest_decode(gzip_body, rows.dtype)),
                median_ms(lambda: grpc_body(rows)) + median_ms(lambda: grpc_decode(proto_body))]
        print(f"{batch} | {name} | {cost[0]:.2f} | {cost[1]:.2f} | {cost[2]:.2f}")
# --8<-- [end:times]

# --8<-- [start:float-text]
value = np.float32(200 / 255)  # a pixel scaled to [0, 1]
print(repr(value), "is 4 bytes in protobuf and", json.dumps(value.item()), "in JSON")
for name, rows in PAYLOADS.items():
    print(f"{name:<14} {len(rest_body(rows[:32])) / rows[:32].size:.1f} JSON bytes per value")
# --8<-- [end:float-text]

"""A TF Serving gRPC client with grpcio and tensorflow-serving-api: predict, status, metadata,
binary input, deadlines, retries, message size limits and TF Serving's errors."""

# --8<-- [start:predict]
import json

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (get_model_metadata_pb2, get_model_status_pb2,
                                     model_service_pb2_grpc, predict_pb2,
                                     prediction_service_pb2_grpc)

GRPC = "127.0.0.1:8500"
# Retries and a default deadline live in the channel's service config, not in every call.
SERVICE_CONFIG = json.dumps({"methodConfig": [{
    "name": [{"service": "tensorflow.serving.PredictionService"}],
    "timeout": "10s",
    "retryPolicy": {"maxAttempts": 3, "initialBackoff": "0.1s", "maxBackoff": "1s",
                    "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]},
}]})
channel = grpc.insecure_channel(GRPC, options=[
    ("grpc.service_config", SERVICE_CONFIG),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),  # default 4 MB: see below
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
])
predictions = prediction_service_pb2_grpc.PredictionServiceStub(channel)
models = model_service_pb2_grpc.ModelServiceStub(channel)


def predict_grpc(pixels, model="digits", timeout=5.0):
    """Class probabilities for a batch of uint8 images, shape (n, 8, 8, 1)."""
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = "serving_default"
    request.inputs["pixels"].CopyFrom(tf.make_tensor_proto(np.asarray(pixels, dtype=np.uint8)))
    response = predictions.Predict(request, timeout=timeout)  # the deadline, in seconds
    return tf.make_ndarray(response.outputs["output_0"]), response.model_spec.version.value


probabilities, version = predict_grpc(x_test[:3])
print(probabilities.shape, probabilities.argmax(axis=1), y_test[:3], "version", version)
# --8<-- [end:predict]

# --8<-- [start:status]
request = get_model_status_pb2.GetModelStatusRequest()
request.model_spec.name = "digits"
for version_status in models.GetModelStatus(request, timeout=5).model_version_status:
    print(version_status.version, get_model_status_pb2.ModelVersionStatus.State.Name(version_status.state))

request = get_model_metadata_pb2.GetModelMetadataRequest()
request.model_spec.name = "digits"
request.metadata_field.append("signature_def")
response = predictions.GetModelMetadata(request, timeout=5)
signatures = get_model_metadata_pb2.SignatureDefMap()
response.metadata["signature_def"].Unpack(signatures)
signature = signatures.signature_def["serving_default"]
print({k: tf.dtypes.as_dtype(v.dtype).name for k, v in signature.inputs.items()},
      {k: tf.dtypes.as_dtype(v.dtype).name for k, v in signature.outputs.items()})
# --8<-- [end:status]

# --8<-- [start:b64]
png = tf.io.encode_png(x_test[0]).numpy()
request = predict_pb2.PredictRequest()
request.model_spec.name = "digits_png"
request.inputs["png"].CopyFrom(tf.make_tensor_proto([png]))  # bytes as they are: no base64
response = predictions.Predict(request, timeout=5)
print(len(png), "PNG bytes -> class", tf.make_ndarray(response.outputs["output_0"]).argmax())
# --8<-- [end:b64]

# --8<-- [start:errors]
def call_tf_serving(rpc, request, timeout=5.0):
    """Turn TF Serving's gRPC status into an exception a caller can act on."""
    try:
        return rpc(request, timeout=timeout)
    except grpc.RpcError as error:
        code = error.code()
        # RESOURCE_EXHAUSTED is TF Serving's "busy" (a request timed out in the batching queue),
        # but gRPC also raises it for a message over the size limit, which no retry fixes.
        too_large = "larger than max" in (error.details() or "")
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED) or (
                code == grpc.StatusCode.RESOURCE_EXHAUSTED and not too_large):
            raise TimeoutError(f"{code.name}: retry later or elsewhere ({error.details()[:60]})") from error
        raise ValueError(f"{code.name}: {error.details()}") from error  # the request is wrong


def predict_request(model="digits", input_name="pixels", values=x_test[:1]):
    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.inputs[input_name].CopyFrom(tf.make_tensor_proto(values))
    return request


bad_requests = {
    "unknown model": predict_request(model="nope"),
    "floats for uint8": predict_request(values=x_test[:1] / 255),
    "wrong input name": predict_request(input_name="image"),
}
for what, request in bad_requests.items():
    try:
        call_tf_serving(predictions.Predict, request)
    except (ValueError, TimeoutError) as error:
        print(f"{what}: {str(error).splitlines()[0]}")
# --8<-- [end:errors]

# --8<-- [start:deadline]
import time

# Pass on what is left of the caller's own budget: once it is spent, the call fails at once,
# on the client, and the server never runs the model for an answer nobody waits for.
budget_s, started = 0.2, time.monotonic()
time.sleep(0.25)  # the budget spent upstream: a queue, a slow dependency
try:
    call_tf_serving(predictions.Predict, predict_request(values=x_test[:256]),
                    timeout=budget_s - (time.monotonic() - started))
except TimeoutError as error:
    print(str(error).split(":")[0])
# --8<-- [end:deadline]

# --8<-- [start:message-size]
# A response above the channel's receive limit fails on the client. The default limit is 4 MB
# (about 100 000 rows of 10 probabilities); a tiny limit shows the same failure on a small batch.
small = grpc.insecure_channel(GRPC, options=[("grpc.max_receive_message_length", 1000)])
try:
    prediction_service_pb2_grpc.PredictionServiceStub(small).Predict(
        predict_request(values=x_test[:256]), timeout=5)
except grpc.RpcError as error:
    print(error.code().name, error.details())
finally:
    small.close()
# The fix is the channel option, on the client: our `channel` above allows 64 MB.
print(predict_grpc(x_test[:256])[0].shape)
# --8<-- [end:message-size]

# --8<-- [start:raw-bytes]
# The message types only (stubs generated with grpcio-tools would do): no TensorFlow function.
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2


def tensor_from_array(array, dtype=types_pb2.DT_UINT8):
    """A TensorProto from raw bytes: dtype, shape, and the array's bytes as they are in memory."""
    proto = tensor_pb2.TensorProto(dtype=dtype, tensor_content=np.ascontiguousarray(array).tobytes())
    proto.tensor_shape.dim.extend(tensor_shape_pb2.TensorShapeProto.Dim(size=n) for n in array.shape)
    return proto


def array_from_tensor(proto, numpy_dtype=np.float32):
    """Read a float output whichever way the server wrote it: TF Serving fills the typed field
    (float_val) unless it runs with --enable_serialization_as_tensor_content."""
    shape = [dim.size for dim in proto.tensor_shape.dim]
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, numpy_dtype).reshape(shape), "tensor_content"
    return np.asarray(proto.float_val, numpy_dtype).reshape(shape), "float_val"


request = predict_pb2.PredictRequest()
request.model_spec.name = "digits"
request.inputs["pixels"].CopyFrom(tensor_from_array(x_test[:3]))
output, field = array_from_tensor(predictions.Predict(request, timeout=5).outputs["output_0"])
print(output.shape, output.argmax(axis=1), y_test[:3], "read from", field)
# --8<-- [end:raw-bytes]

# --8<-- [start:compression]
# gRPC compresses each message when the channel (or a call) asks for it; the server decompresses
# it, and TF Serving needs no flag for that. Worth it for compressible tensors on a slow link.
compressed = grpc.insecure_channel(GRPC, compression=grpc.Compression.Gzip)
request = predict_request(values=x_test[:256])
response = prediction_service_pb2_grpc.PredictionServiceStub(compressed).Predict(
    request, timeout=5, compression=grpc.Compression.Gzip)  # per call, or for the whole channel
compressed.close()
print("gzip request:", tf.make_ndarray(response.outputs["output_0"]).shape)
# --8<-- [end:compression]

"""assets.extra/: files that travel with a SavedModel but that TensorFlow never reads.
TF Serving reads one of them, assets.extra/tf_serving_warmup_requests, when it loads a version."""

# --8<-- [start:write]
from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2

WARMUP_FILE = "assets.extra/tf_serving_warmup_requests"  # the name TF Serving looks for


def write_warmup_requests(export_dir, model_name, requests, signature_name="serving_default"):
    """Write one PredictionLog per request (a dict: input key -> array) as a TFRecord file.

    TF Serving accepts at most 1000 records; each one runs when the version loads.
    """
    path = Path(export_dir) / WARMUP_FILE
    path.parent.mkdir(exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for inputs in requests:
            request = predict_pb2.PredictRequest(
                model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature_name))
            for key, value in inputs.items():
                request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
            log = prediction_log_pb2.PredictionLog(predict_log=prediction_log_pb2.PredictLog(request=request))
            writer.write(log.SerializeToString())
    return path


# The batch sizes clients really send: one image, and a full batch of 32.
path = write_warmup_requests("models/digits/1", "digits", [{"pixels": x_test[:1]}, {"pixels": x_test[:32]}])
print(sorted(str(p.relative_to("models/digits/1")) for p in path.parent.parent.glob("assets*/*")))
# --8<-- [end:write]

# --8<-- [start:replay]
# Replay the file as TF Serving does at load time: parse each record, call its signature.
loaded_for_warmup = tf.saved_model.load("models/digits/1")  # TensorFlow itself ignores assets.extra/
for record in tf.data.TFRecordDataset(str(path)):
    request = prediction_log_pb2.PredictionLog.FromString(record.numpy()).predict_log.request
    signature = loaded_for_warmup.signatures[request.model_spec.signature_name]
    outputs = signature(**{key: tf.make_ndarray(proto) for key, proto in request.inputs.items()})
    print(request.model_spec.name, request.model_spec.signature_name,
          {key: tuple(value.shape) for key, value in outputs.items()})
# --8<-- [end:replay]

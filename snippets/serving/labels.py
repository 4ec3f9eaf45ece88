"""Canary and A/B tests with version labels: clients ask for "stable" or "canary", the server's
models.config says which version each label means."""

# --8<-- [start:labels]
for label in ("stable", "canary"):
    # REST: the label goes in the URL, for predict and for metadata (which names the version)
    url = f"{REST}/v1/models/digits_ab/labels/{label}"
    rest_answer = session.post(f"{url}:predict", json={"instances": x_test[:1].tolist()}, timeout=5).json()
    rest_version = session.get(f"{url}/metadata", timeout=5).json()["model_spec"]["version"]
    # gRPC: the label goes in the ModelSpec; the response names the version that answered
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "digits_ab"
    request.model_spec.version_label = label
    request.inputs["pixels"].CopyFrom(tf.make_tensor_proto(x_test[:1]))
    response = predictions.Predict(request, timeout=5)
    same = np.allclose(rest_answer["predictions"], tf.make_ndarray(response.outputs["output_0"]), atol=1e-6)
    print(f"{label}: REST metadata says version {rest_version}, gRPC answered with version "
          f"{response.model_spec.version.value}, same probabilities: {same}")

# Without a label, the highest loaded version answers: here, the canary.
request.model_spec.ClearField("version_label")
print("no label: gRPC answered with version", predictions.Predict(request, timeout=5).model_spec.version.value)
# The status API ignores labels: it lists every version of the model.
status = session.get(f"{REST}/v1/models/digits_ab/labels/stable", timeout=5).json()
print("status of label stable:", [s["version"] for s in status["model_version_status"]])
# --8<-- [end:labels]

# --8<-- [start:split]
import hashlib


def label_for(user_id, canary_percent=10):
    """Send a stable slice of users to the canary: the same user always sees the same version."""
    bucket = int(hashlib.sha256(str(user_id).encode()).hexdigest(), 16) % 100
    return "canary" if bucket < canary_percent else "stable"


labels = [label_for(user) for user in range(10_000)]
print({label: labels.count(label) for label in ("stable", "canary")}, label_for(42) == label_for(42))
# --8<-- [end:split]

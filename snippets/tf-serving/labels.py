"""Canary and A/B tests with version labels: clients ask for "stable" or "canary", the server's
models.config says which version each label means."""

# --8<-- [start:labels]
# What each version computes, here in the client: the models exported as versions 1 and 2.
own_output = {1: model.predict(x_test[:1], verbose=0), 2: model_b.predict(x_test[:1], verbose=0)}
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
    # Both answers must be what the version the label names computes, not merely equal
    # to each other (versions 1 and 2 give different probabilities).
    expected = own_output[int(rest_version)]
    both = (np.allclose(rest_answer["predictions"], expected, atol=1e-5)
            and np.allclose(tf.make_ndarray(response.outputs["output_0"]), expected, atol=1e-5))
    print(f"{label}: REST metadata says version {rest_version}, gRPC answered with version "
          f"{response.model_spec.version.value}, both answers = version {rest_version}'s output: {both}")
print("versions 1 and 2 differ:", not np.allclose(own_output[1], own_output[2], atol=1e-5))

# Without a label, the highest loaded version answers: here, the canary.
request.model_spec.ClearField("version_label")
print("no label: gRPC answered with version", predictions.Predict(request, timeout=5).model_spec.version.value)
# The status API ignores labels: it lists every version of the model.
status = session.get(f"{REST}/v1/models/digits_ab/labels/stable", timeout=5).json()
print("status of label stable:", [s["version"] for s in status["model_version_status"]])
# --8<-- [end:labels]

"""Roll a new model version out, and back, by adding and removing a numbered directory: the
server notices, and clients keep calling the same URL."""

# --8<-- [start:rollout]
model_v2 = train_digits(hidden=64, seed=1)   # a retrained model
export_version(model_v2, "models/digits", 2)  # a new numbered directory next to 1/
print(wait_for_versions(REST, "digits", [2]))  # the server swaps 1 for 2 by itself
print("answered by version", predict_grpc(x_test[:3])[1])  # the same client call as before
# --8<-- [end:rollout]

# --8<-- [start:rollback]
import shutil

# Version 2 misbehaves: take it out of the base path (keep it for the post-mortem).
shutil.move("models/digits/2", "models/rejected-digits-2")
print(wait_for_versions(REST, "digits", [1]))
print("answered by version", predict_grpc(x_test[:3])[1])
# --8<-- [end:rollback]

"""What a SavedModel directory holds, file by file."""

# --8<-- [start:tree]
from pathlib import Path


def tree(root):
    """Print every file and directory under root, relative to it, in sorted order."""
    root = Path(root)
    if not (root / "saved_model.pb").is_file():
        raise FileNotFoundError(f"{root} is not a SavedModel directory: it has no saved_model.pb")
    for path in sorted(root.rglob("*")):
        print(path.relative_to(root).as_posix() + ("/" if path.is_dir() else ""))


tree("models/digits/1")
# --8<-- [end:tree]

# --8<-- [start:fingerprint]
fingerprint = tf.saved_model.experimental.read_fingerprint("models/digits/1")
print(fingerprint)

model.export("scratch/digits_again", verbose=False)  # the same model, exported a second time
again = tf.saved_model.experimental.read_fingerprint("scratch/digits_again")
for field in ("saved_model_checksum", "graph_def_program_hash", "signature_def_hash",
              "saved_object_graph_hash", "checkpoint_hash"):
    print(f"{field:24} unchanged: {getattr(fingerprint, field) == getattr(again, field)}")
print(f"{'singleprint()':24} unchanged: {fingerprint.singleprint() == again.singleprint()}")

Path("scratch/digits_again/fingerprint.pb").unlink()  # optional: loading works without it
print("loads without fingerprint.pb:", "serving_default" in tf.saved_model.load("scratch/digits_again").signatures)
# --8<-- [end:fingerprint]

# --8<-- [start:variables]
def stored_values(export_dir):
    """How many numbers the variables/ checkpoint holds, from variables.index alone."""
    entries = tf.train.list_variables(str(Path(export_dir) / "variables" / "variables"))
    return sum(int(np.prod(shape)) for name, shape in entries if name != "_CHECKPOINTABLE_OBJECT_GRAPH")


for name, shape in tf.train.list_variables("models/digits/1/variables/variables"):
    print(name, shape)
print("model parameters:", model.count_params())
print("values stored   :", stored_values("models/digits/1"))
# --8<-- [end:variables]

"""Which TF Serving can load an export: the TensorFlow that wrote it, and the op types it needs."""

# --8<-- [start:match]
import textwrap
from pathlib import Path

from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.framework import op_def_registry  # the registry the graph loader consults


def written_by(export_dir):
    """The TensorFlow version that wrote an export, and the op types its graphs use (the
    stripped_op_list TensorFlow records in saved_model.pb for exactly this check)."""
    saved_model = saved_model_pb2.SavedModel.FromString((Path(export_dir) / "saved_model.pb").read_bytes())
    meta_info = saved_model.meta_graphs[0].meta_info_def
    return meta_info.tensorflow_version, sorted(op.name for op in meta_info.stripped_op_list.op)


def served_by(env_file="docker/.env"):
    """The TF Serving release the deployment files run (docker/.env names the image once)."""
    for line in Path(env_file).read_text().splitlines():
        if line.startswith("TFS_IMAGE="):
            return line.split("=", 1)[1].split("@")[0].rpartition(":")[2]
    raise KeyError(f"{env_file} names no TFS_IMAGE")


def minor(version):
    return tuple(int(part) for part in version.split(".")[:2])


def load_problems(export_dir, server_release):
    """Why a TF Serving release built on TensorFlow <server_release's minor> may refuse the export.
    The op check uses the TensorFlow installed here: run it with the server's TensorFlow version."""
    exported, ops = written_by(export_dir)
    problems = []
    if minor(exported) > minor(server_release):
        problems.append(f"written by TensorFlow {exported}, newer than TF Serving {server_release}'s TensorFlow")
    unknown = [op for op in ops if op_def_registry.get(op) is None]
    if unknown:
        problems.append(f"op types TensorFlow {tf.__version__} does not register: {', '.join(unknown)}")
    return problems


exported, ops = written_by("models/digits/1")
print(f"models/digits/1 was written by TensorFlow {exported} and uses {len(ops)} op types:")
print(textwrap.fill(", ".join(ops), width=90))
print(f"TF Serving {served_by()}:", load_problems("models/digits/1", served_by()) or "loads it")

# The same check on an export from a newer TensorFlow that uses an op this one lacks.
saved_model = saved_model_pb2.SavedModel.FromString(Path("models/digits/1/saved_model.pb").read_bytes())
saved_model.meta_graphs[0].meta_info_def.tensorflow_version = "2.99.0"
saved_model.meta_graphs[0].meta_info_def.stripped_op_list.op.add(name="OpFromTheFuture")
Path("scratch/from_the_future").mkdir(parents=True, exist_ok=True)
Path("scratch/from_the_future/saved_model.pb").write_bytes(saved_model.SerializeToString())
for problem in load_problems("scratch/from_the_future", served_by()):
    print(problem)
# --8<-- [end:match]

"""Test-model generators for the TF-Serving conformance suite.

Every model is built here from scratch with TensorFlow (``tf.compat.v1`` graph building and
``SavedModelBuilder``: the classic "TF1" session bundle that TF Serving loads), written into a
base directory as a numbered version ``<base>/<version>/saved_model.pb``.  Nothing is copied
from TF Serving's own testdata: the signatures below are *reproduced* from what
``saved_model_cli show --all`` prints for TF Serving's ``saved_model_half_plus_two_cpu``
(signature keys, aliases, dtypes, shapes, method names), so TF Serving's tests and docs
(``tensorflow_serving/model_servers/tensorflow_model_server_test.py``,
``tensorflow_serving/g3doc/api_rest.md``) carry over with the same requests and answers.

Run as a script to write the whole repository the conformance suite's shared server uses,
e.g. to point an official ``tensorflow/serving`` container at it::

    python -m tests.tfs_compat.models /tmp/tfs-models --config-base=/models

which writes the models plus ``models.config`` (base paths under ``--config-base``) and
``monitoring.config``; see ``tests/tfs_compat/conftest.py`` for the matching server flags.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

# Model names in the shared repository (see ``build_repository``).
HALF_PLUS_TWO = "half_plus_two"
VERSIONED = "versioned"
MULTI = "multi"
STRINGS = "strings"
IDENTITY = "identity"

# Version numbers, as in TF Serving's testdata (``00000123`` parses as 123).
HALF_PLUS_TWO_VERSION = 123


def _tf():
    """Imports TensorFlow lazily (it costs seconds) and quietly."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # noqa: PLC0415

    return tf.compat.v1


def _version_dir(base_dir: os.PathLike | str, version: int, dirname: str | None = None) -> Path:
    base = Path(base_dir)
    base.mkdir(parents=True, exist_ok=True)
    return base / (dirname if dirname is not None else str(version))


def _save(export_dir: Path, build) -> Path:
    """Builds a graph with ``build(tf) -> {signature_key: SignatureDef}`` and saves it.

    Writes to a temporary sibling first and renames it into place, so a server polling the
    base directory never sees a half-written version.
    """
    tf = _tf()
    tmp = export_dir.with_name("." + export_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    graph = tf.Graph()
    with graph.as_default(), tf.Session(graph=graph) as sess:
        signatures = build(tf)
        sess.run(tf.global_variables_initializer())
        builder = tf.saved_model.builder.SavedModelBuilder(str(tmp))
        builder.add_meta_graph_and_variables(
            sess, [tf.saved_model.tag_constants.SERVING], signature_def_map=signatures
        )
        builder.save()
    if export_dir.exists():
        shutil.rmtree(export_dir)
    os.rename(tmp, export_dir)
    return export_dir


def _sig(tf, inputs: dict, outputs: dict, method: str):
    info = tf.saved_model.utils.build_tensor_info
    return tf.saved_model.signature_def_utils.build_signature_def(
        inputs={k: info(v) for k, v in inputs.items()},
        outputs={k: info(v) for k, v in outputs.items()},
        method_name=method,
    )


PREDICT = "tensorflow/serving/predict"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"


def write_half_plus_two(
    base_dir, version: int = HALF_PLUS_TWO_VERSION, offset: float = 2.0, dirname=None
) -> Path:
    """``y = 0.5 * x + offset`` with the signatures of TF Serving's half_plus_two model.

    Reproduced signature set (``saved_model_cli show --all`` of TF Serving's
    ``servables/tensorflow/testdata/saved_model_half_plus_two_cpu``):

    - ``serving_default`` (predict): ``x`` DT_FLOAT (-1, 1) ``x:0`` -> ``y`` DT_FLOAT (-1, 1) ``y:0``
    - ``classify_x_to_y`` (classify): ``inputs`` DT_STRING serialized tf.Example -> ``scores`` = y
    - ``regress_x_to_y`` (regress): ``inputs`` DT_STRING -> ``outputs`` = y
    - ``regress_x_to_y2`` (regress): ``inputs`` DT_STRING -> ``outputs`` = 0.5 * x + offset + 1

    ``x`` is the tf.Example feature ``"x"`` (FixedLen [1] float) parsed from the serialized
    examples; predict feeds the ``x:0`` tensor directly. ``offset=3`` gives a half-plus-three
    variant for version tests.
    """

    def build(tf):
        a = tf.Variable(0.5, name="a")
        b = tf.Variable(float(offset), name="b")
        c = tf.Variable(float(offset) + 1.0, name="c")
        serialized = tf.placeholder(tf.string, shape=[None], name="tf_example")
        parsed = tf.io.parse_example(
            serialized,
            {
                "x": tf.io.FixedLenFeature([1], tf.float32),
                "x2": tf.io.FixedLenFeature([1], tf.float32, default_value=[0.0]),
            },
        )
        x = tf.identity(parsed["x"], name="x")
        y = tf.identity(a * x + b, name="y")
        y2 = tf.identity(a * x + c, name="y2")
        return {
            "serving_default": _sig(tf, {"x": x}, {"y": y}, PREDICT),
            "classify_x_to_y": _sig(tf, {"inputs": serialized}, {"scores": y}, CLASSIFY),
            "regress_x_to_y": _sig(tf, {"inputs": serialized}, {"outputs": y}, REGRESS),
            "regress_x_to_y2": _sig(tf, {"inputs": serialized}, {"outputs": y2}, REGRESS),
        }

    return _save(_version_dir(base_dir, version, dirname), build)


def write_multi(base_dir, version: int = 1) -> Path:
    """Several named inputs / outputs, and odd output shapes.

    - ``serving_default``: ``a``, ``b`` float32 [None] -> ``sum`` = a + b, ``product`` = a * b
    - ``scalar``: ``x`` float32 [None] -> ``total`` = sum(x), a rank-0 output
    - ``uneven``: ``x`` float32 [None] -> ``full`` = x, ``first`` = x[:1] (dim 0 differs)
    - ``int_double``: ``i`` int32 [None] -> ``o`` = 2 * i (int32)
    """

    def build(tf):
        a = tf.placeholder(tf.float32, shape=[None], name="a")
        b = tf.placeholder(tf.float32, shape=[None], name="b")
        s = tf.identity(a + b, name="sum")
        p = tf.identity(a * b, name="product")
        x = tf.placeholder(tf.float32, shape=[None], name="x")
        total = tf.reduce_sum(x, name="total")
        full = tf.identity(x, name="full")
        first = tf.identity(x[:1], name="first")
        i = tf.placeholder(tf.int32, shape=[None], name="i")
        o = tf.identity(i * 2, name="o")
        return {
            "serving_default": _sig(tf, {"a": a, "b": b}, {"sum": s, "product": p}, PREDICT),
            "scalar": _sig(tf, {"x": x}, {"total": total}, PREDICT),
            "uneven": _sig(tf, {"x": x}, {"full": full, "first": first}, PREDICT),
            "int_double": _sig(tf, {"i": i}, {"o": o}, PREDICT),
        }

    return _save(_version_dir(base_dir, version), build)


def write_strings(base_dir, version: int = 1) -> Path:
    """String input model for raw-string and b64 tests.

    - ``serving_default``: ``s`` DT_STRING [None] -> ``length`` int32 (bytes), ``upper`` string
    - ``bytes``: ``s`` DT_STRING [None] -> ``echo_bytes`` string (alias ends in ``_bytes``, so
      TF Serving's JSON writer emits it as ``{"b64": ...}``)
    """

    def build(tf):
        s = tf.placeholder(tf.string, shape=[None], name="s")
        length = tf.identity(tf.strings.length(s), name="length")
        upper = tf.identity(tf.strings.upper(s), name="upper")
        echo = tf.identity(s, name="echo")
        return {
            "serving_default": _sig(tf, {"s": s}, {"length": length, "upper": upper}, PREDICT),
            "bytes": _sig(tf, {"s": s}, {"echo_bytes": echo}, PREDICT),
        }

    return _save(_version_dir(base_dir, version), build)


def write_identity(base_dir, version: int = 1) -> Path:
    """Identity of any shape, for round-trip / fuzz tests.

    - ``serving_default``: ``x`` float32, unknown rank -> ``y`` = x
    - ``int64``: ``x`` int64, unknown rank -> ``y`` = x
    - ``double``: ``x`` float64, unknown rank -> ``y`` = x
    - ``bool``: ``x`` bool, unknown rank -> ``y`` = x
    """

    def build(tf):
        sigs = {}
        for key, dtype in (
            ("serving_default", tf.float32),
            ("int64", tf.int64),
            ("double", tf.float64),
            ("bool", tf.bool),
        ):
            x = tf.placeholder(dtype, shape=None, name=f"x_{key}")
            y = tf.identity(x, name=f"y_{key}")
            sigs[key] = _sig(tf, {"x": x}, {"y": y}, PREDICT)
        return sigs

    return _save(_version_dir(base_dir, version), build)


def write_dense(base_dir, version: int = 1, inputs: int = 784, units: int = 10, seed: int = 0):
    """``softmax(x @ W + b)`` with ``x`` float32 [None, inputs] -> ``probabilities``.

    Returns ``(export_dir, W, b)`` so a caller can check answers. Used by ``bench.py``.
    """
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    w = rng.standard_normal((inputs, units)).astype("float32") * 0.05
    bias = rng.standard_normal(units).astype("float32") * 0.05

    def build(tf):
        x = tf.placeholder(tf.float32, shape=[None, inputs], name="x")
        wv = tf.Variable(w, name="W")
        bv = tf.Variable(bias, name="b")
        probs = tf.nn.softmax(tf.matmul(x, wv) + bv, name="probabilities")
        return {"serving_default": _sig(tf, {"x": x}, {"probabilities": probs}, PREDICT)}

    return _save(_version_dir(base_dir, version), build), w, bias


def write_regress_two_inputs(base_dir, version: int = 1) -> Path:
    """Two regress signatures whose ``inputs`` are different serialized-Example placeholders, as in
    TF Serving's ``saved_model_half_plus_two_tf2_cpu`` (``regress_x_to_y_inputs:0`` and
    ``regress_x_to_y2_inputs:0``): ``regress_x_to_y`` -> 0.5 * x + 2, ``regress_x_to_y2`` -> 0.5 * x + 3.
    """

    def build(tf):
        sigs = {}
        for key, offset in (("regress_x_to_y", 2.0), ("regress_x_to_y2", 3.0)):
            serialized = tf.placeholder(tf.string, shape=[None], name=f"{key}_inputs")
            x = tf.io.parse_example(serialized, {"x": tf.io.FixedLenFeature([1], tf.float32)})["x"]
            sigs[key] = _sig(tf, {"inputs": serialized}, {"outputs": tf.identity(0.5 * x + offset)}, REGRESS)
        return sigs

    return _save(_version_dir(base_dir, version), build)


def write_tflite_half_plus_two(base_dir, version: int = 1) -> Path:
    """``<base>/<version>/model.tflite`` (no saved_model.pb) computing ``y = 0.5 * x + 2`` on a float32
    [1, 1] input, converted from a tf.function; it carries no signature_defs_metadata, so a server
    run with ``--prefer_tflite_model`` generates its ``serving_default`` (tflite_session.cc)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf  # noqa: PLC0415

    @tf.function(input_signature=[tf.TensorSpec([1, 1], tf.float32, name="x")])
    def half_plus_two(x):
        return {"y": 0.5 * x + 2.0}

    converter = tf.lite.TFLiteConverter.from_concrete_functions([half_plus_two.get_concrete_function()])
    out = _version_dir(base_dir, version)
    out.mkdir(parents=True, exist_ok=True)
    (out / "model.tflite").write_bytes(converter.convert())
    return out


def write_broken(base_dir, version: int) -> Path:
    """A version directory whose ``saved_model.pb`` is garbage (fails to load)."""
    d = _version_dir(base_dir, version)
    d.mkdir(parents=True, exist_ok=True)
    (d / "saved_model.pb").write_bytes(b"\x08\xff\xff this is not a SavedModel proto \x00\x01")
    return d


def copy_version(src_version_dir, base_dir, version: int) -> Path:
    """Copies a generated version into ``base_dir/<version>`` atomically (tmp + rename)."""
    dst = _version_dir(base_dir, version)
    tmp = dst.with_name("." + dst.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(src_version_dir, tmp)
    os.rename(tmp, dst)
    return dst


def models_config_text(entries: list[dict]) -> str:
    """Renders a text-format ``ModelServerConfig`` (``config/model_server_config.proto``).

    ``entries``: dicts with ``name``, ``base_path`` and optional ``policy`` ("all" or a list of
    versions for ``specific``) and ``labels`` ({label: version}).
    """
    out = ["model_config_list {"]
    for e in entries:
        out.append("  config {")
        out.append(f'    name: "{e["name"]}"')
        out.append(f'    base_path: "{e["base_path"]}"')
        out.append('    model_platform: "tensorflow"')
        policy = e.get("policy")
        if policy == "all":
            out.append("    model_version_policy { all {} }")
        elif policy is not None:
            vs = " ".join(f"versions: {int(v)}" for v in policy)
            out.append(f"    model_version_policy {{ specific {{ {vs} }} }}")
        for label, version in sorted(e.get("labels", {}).items()):
            out.append(f'    version_labels {{ key: "{label}" value: {int(version)} }}')
        out.append("  }")
    out.append("}")
    return "\n".join(out) + "\n"


MONITORING_CONFIG = (
    'prometheus_config {\n  enable: true\n  path: "/monitoring/prometheus/metrics"\n}\n'
)


def build_repository(root, config_base: str | None = None) -> dict:
    """Writes the shared repository: every model of the main server, plus its configs.

    Layout (under ``root``)::

        half_plus_two/123         y = 0.5x + 2 (TF Serving's half_plus_two signatures)
        versioned/1, versioned/2  y = 0.5x + 2 and y = 0.5x + 3; policy all;
                                  labels stable -> 1, canary -> 2
        multi/1, strings/1, identity/1
        models.config, monitoring.config

    ``config_base`` replaces ``root`` in the config's base paths (for a container mount).
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    write_half_plus_two(root / HALF_PLUS_TWO, HALF_PLUS_TWO_VERSION, offset=2.0)
    write_half_plus_two(root / VERSIONED, 1, offset=2.0)
    write_half_plus_two(root / VERSIONED, 2, offset=3.0)
    write_multi(root / MULTI, 1)
    write_strings(root / STRINGS, 1)
    write_identity(root / IDENTITY, 1)
    base = config_base.rstrip("/") if config_base else str(root.resolve())
    entries = [
        {"name": HALF_PLUS_TWO, "base_path": f"{base}/{HALF_PLUS_TWO}"},
        {
            "name": VERSIONED,
            "base_path": f"{base}/{VERSIONED}",
            "policy": "all",
            "labels": {"stable": 1, "canary": 2},
        },
        {"name": MULTI, "base_path": f"{base}/{MULTI}"},
        {"name": STRINGS, "base_path": f"{base}/{STRINGS}"},
        {"name": IDENTITY, "base_path": f"{base}/{IDENTITY}"},
    ]
    (root / "models.config").write_text(models_config_text(entries))
    (root / "monitoring.config").write_text(MONITORING_CONFIG)
    return {
        "root": root,
        "config": root / "models.config",
        "monitoring": root / "monitoring.config",
        "entries": entries,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="directory to write the repository into")
    parser.add_argument("--config-base", default=None, help="base path used in models.config")
    args = parser.parse_args(argv)
    info = build_repository(args.out, args.config_base)
    print(f"wrote {info['root']} (config {info['config']})")


if __name__ == "__main__":
    main()

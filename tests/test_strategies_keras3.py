"""The claim on docs/distribution-strategies.md that Keras 3's model.fit fails under both
multi-server strategies on our pinned versions (keras-team/keras#20585).

Each test starts a real two-worker cluster on localhost with the page's own launcher
(snippets/distribution-strategies/cluster.py) and a Keras 3 script. When a test fails because fit now
works, Keras 3 has caught up: update the page's warning and, if you like, drop tf_keras.
"""

from __future__ import annotations

import runpy
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 240

KERAS3_PREAMBLE = """
import os
os.environ["TF_USE_LEGACY_KERAS"] = "0"  # Keras 3, as `import keras` gives on TF 2.21
import numpy as np
import tensorflow as tf
import keras
x, y = np.ones((64, 4), "float32"), np.ones((64, 2), "float32")
"""

# Both scripts end the same way: fit, and report how it ended.
FIT_AND_REPORT = """
try:
    model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(8).repeat(),
              epochs=1, steps_per_epoch=2, verbose=0)
    print("[keras3] fit ok", flush=True)
except ValueError as error:
    print("[keras3] ValueError:", " ".join(str(error).split()), flush=True)
"""

MWMS_WORKER = KERAS3_PREAMBLE + """
strategy = tf.distribute.MultiWorkerMirroredStrategy()
with strategy.scope():
    model = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
""" + FIT_AND_REPORT

PS_COORDINATOR = KERAS3_PREAMBLE + """
resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
strategy = tf.distribute.ParameterServerStrategy(resolver)
with strategy.scope():
    model = keras.Sequential([keras.Input((4,), name="x"), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
""" + FIT_AND_REPORT


@pytest.fixture
def launcher(tmp_path, monkeypatch):
    """The page's launcher, run from a directory that links snippets/ like the gate's."""
    (tmp_path / "snippets").symlink_to(REPO / "snippets")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
    return runpy.run_path(str(REPO / "snippets" / "distribution-strategies" / "cluster.py"))


def _script(name: str, code: str) -> str:
    Path(name).write_text(textwrap.dedent(code))
    return name


@pytest.mark.slow
def test_keras3_fit_fails_under_multi_worker_mirrored_strategy(launcher):
    cluster = launcher["make_cluster"](worker=2)
    script = _script("keras3_mwms_worker.py", MWMS_WORKER)
    with launcher["stopping"]([]) as workers:
        for index in range(2):
            workers.append(launcher["start"](script, cluster, ("worker", index)))
        codes = launcher["wait_all"](workers, timeout_s=TIMEOUT_S)
    assert codes == {"worker0": 0, "worker1": 0}, Path("logs/worker0.log").read_text()[-3000:]
    for name in ("worker0", "worker1"):
        output = "\n".join(launcher["task_output"](name))
        assert "[keras3] fit ok" not in output, "Keras 3 now trains under MWMS: update the page"
        assert "Attempt to convert a value (PerReplica" in output, output


@pytest.mark.slow
def test_keras3_fit_fails_under_parameter_server_strategy(launcher):
    cluster = launcher["make_cluster"](chief=1, worker=2, ps=1)
    script = _script("keras3_ps_coordinator.py", PS_COORDINATOR)
    with launcher["stopping"]([]) as processes:
        processes.append(launcher["start"]("snippets/distribution-strategies/ps_server.py", cluster))
        processes.append(chief := launcher["start"](script, cluster, ("chief", 0)))
        codes = launcher["wait_all"]([chief], timeout_s=TIMEOUT_S)
    assert codes == {"chief0": 0}, Path("logs/chief0.log").read_text()[-3000:]
    output = "\n".join(launcher["task_output"]("chief0"))
    assert "[keras3] fit ok" not in output, "Keras 3 now trains under ParameterServerStrategy: update the page"
    assert "ClusterCoordinator.create_per_worker_dataset" in output, output

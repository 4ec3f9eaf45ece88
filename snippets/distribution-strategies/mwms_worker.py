"""One worker of a MultiWorkerMirroredStrategy job. Every machine runs this same file,
`python mwms_worker.py`, with its own TF_CONFIG (cluster.py does that on localhost).
STOP_AT_EPOCH=n in the environment simulates a preemption when epoch n is about to start."""

# --8<-- [start:worker]
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # Keras 3's fit fails under this strategy on TF 2.21

import hashlib
import json
import runpy
import shutil

import numpy as np
import tensorflow as tf


class Preemption(tf.keras.callbacks.Callback):
    """Stands in for the machines going away: the job stops when epoch STOP_AT_EPOCH begins."""

    def __init__(self, say):
        super().__init__()
        self.say = say

    def on_epoch_begin(self, epoch, logs=None):
        if epoch + 1 == int(os.environ.get("STOP_AT_EPOCH", 0)):
            self.say(f"preempted before epoch {epoch + 1}")
            raise SystemExit(3)


class Progress(tf.keras.callbacks.Callback):
    def __init__(self, say):
        super().__init__()
        self.say = say

    def on_epoch_begin(self, epoch, logs=None):
        self.say(f"epoch {epoch + 1} starts")

    def on_epoch_end(self, epoch, logs=None):
        self.say(f"epoch {epoch + 1} loss {logs['loss']:.3f}")


def train_worker(epochs=4, steps_per_epoch=10):
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG, meets the others
    is_chief = task["index"] == 0  # no "chief" task in TF_CONFIG: worker 0 plays the chief
    say = lambda *args: print(f"[worker {task['index']}]", *args, flush=True)
    say("replicas in sync:", strategy.num_replicas_in_sync,
        "| communication:", strategy.extended._communication_options.implementation.value)

    shared = runpy.run_path("snippets/distribution-strategies/model.py")  # make_model, make_dataset
    data = np.load("digits.npz")  # the same training data on every worker
    with strategy.scope():
        model = shared["make_model"]()
    # Batched by the GLOBAL batch (64): the strategy hands each worker 32 examples a step.
    dataset = shared["make_dataset"](data["x"], data["y"])

    # BackupAndRestore saves at every epoch end; after a restart it restores weights,
    # optimizer state and epoch. The chief writes backup/, the others temporary dirs.
    callbacks = [tf.keras.callbacks.BackupAndRestore(backup_dir="backup"), Preemption(say), Progress(say)]
    model.fit(dataset, epochs=epochs, steps_per_epoch=steps_per_epoch, callbacks=callbacks, verbose=0)

    # Saving runs collectives too, so EVERY worker saves; only the chief's copy is kept.
    directory = "checkpoints" if is_chief else f"checkpoints-tmp-worker{task['index']}"
    manager = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), directory, max_to_keep=1)
    say("checkpoint written:", manager.save())
    if not is_chief:
        shutil.rmtree(directory)  # a non-chief copy only exists while saving

    weights = model.get_weights()
    np.savez(f"weights-worker{task['index']}.npz", *weights)
    say("weights sha256:", hashlib.sha256(b"".join(w.tobytes() for w in weights)).hexdigest()[:16])
# --8<-- [end:worker]


train_worker()

"""Drive the MultiWorkerMirroredStrategy job from the page: two worker processes on
localhost, a simulated preemption, a restart that resumes, and the checks.
Runs after cluster.py's launcher and the page's first block (digits.npz)."""

# --8<-- [start:first-run]
def epoch_losses(workers):
    """{"worker0": ["2.297", ...]}: the losses each worker printed, as printed (compared exactly)."""
    return {worker.name: [line.rsplit(" loss ", 1)[1] for line in task_output(worker.name) if " loss " in line]
            for worker in workers}


cluster = make_cluster(worker=2)
env = {
    "STOP_AT_EPOCH": "3",  # both workers stop when epoch 3 is about to start
    "TF_CPP_VMODULE": "collective_param_resolver_local=1",  # log which all-reduce runs
    "TF_CPP_MIN_LOG_LEVEL": "0",  # ... which a quieter log level set elsewhere would hide
}
with stopping([]) as workers:
    for index in range(2):
        workers.append(start("snippets/distribution-strategies/mwms_worker.py", cluster, ("worker", index), env))
    print("TF_CONFIG of worker 1:", json.dumps(workers[1].tf_config))
    print("exit codes:", wait_all(workers, timeout_s=150))
for worker in workers:
    print("\n".join(task_output(worker.name)))
print("backup/:", sorted(str(p) for p in Path("backup").rglob("*") if p.is_file()))
first_losses = epoch_losses(workers)
print("worker 1's losses == worker 0's, digit for digit:", first_losses["worker1"] == first_losses["worker0"])
# --8<-- [end:first-run]

# --8<-- [start:which-collective]
import re

logged = " ".join(Path(f"logs/worker{i}.log").read_text() for i in range(2))
print("collectives the runtime chose:", sorted(set(re.findall(r"AssignCollectiveType (\w+)", logged))))
# --8<-- [end:which-collective]

# --8<-- [start:restart]
# The same command again, as a cluster manager would after a preemption.
cluster = make_cluster(worker=2)  # new machines may get new addresses; that's fine
with stopping([]) as workers:
    for index in range(2):
        workers.append(start("snippets/distribution-strategies/mwms_worker.py", cluster, ("worker", index)))
    print("exit codes:", wait_all(workers, timeout_s=150))
for worker in workers:
    print("\n".join(task_output(worker.name)))
restart_losses = epoch_losses(workers)
print("worker 1's losses == worker 0's, digit for digit:", restart_losses["worker1"] == restart_losses["worker0"])
# --8<-- [end:restart]

# --8<-- [start:compare]
w0, w1 = np.load("weights-worker0.npz"), np.load("weights-worker1.npz")
print("same weights on both workers:", all(np.array_equal(w0[k], w1[k]) for k in w0.files),
      f"({len(w0.files)} arrays)")
print("checkpoints/:", sorted(p.name for p in Path("checkpoints").iterdir()))
print("non-chief copies left:", sorted(str(p) for p in Path().glob("checkpoints-tmp-*")))
print("backup/ after the finished fit:", sorted(str(p) for p in Path("backup").rglob("*") if p.is_file()))
# --8<-- [end:compare]

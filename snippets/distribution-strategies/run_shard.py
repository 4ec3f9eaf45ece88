"""Drive shard_worker.py from the page: four small files on "shared storage", two workers,
and what each worker received under each auto-shard policy.
Runs after cluster.py's launcher (make_cluster, start, stopping, wait_all, task_output)."""

# --8<-- [start:run]
shards = Path("shards")
shards.mkdir(exist_ok=True)
for name in "abcd":  # 4 files of 4 lines: a0 a1 a2 a3, b0 ..., d3
    (shards / f"part-{name}.txt").write_text("".join(f"{name}{i}\n" for i in range(4)))

cluster = make_cluster(worker=2)
with stopping([]) as workers:
    for index in range(2):
        workers.append(start("snippets/distribution-strategies/shard_worker.py", cluster, ("worker", index)))
    print("exit codes:", wait_all(workers, timeout_s=150))
lines = [line for worker in workers for line in task_output(worker.name)]
print("\n".join(line for line in lines if "one file" not in line))
# Which worker's iterator fails first is a race; the other sees its collective aborted.
reasons = {line.split("one file: ")[1] for line in lines if "FILE based sharding" in line}
print("FILE, one file, 2 workers:", " | ".join(sorted(reasons)))
# --8<-- [end:run]

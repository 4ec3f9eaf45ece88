"""Drive the ParameterServerStrategy cluster from the page: the servers and the
coordinator as two processes on localhost. Runs after cluster.py's launcher."""

# --8<-- [start:launch]
cluster = make_cluster(chief=1, worker=2, ps=2)
with stopping([]) as processes:
    # One process serves workers 0 and 1 and ps 0 and 1 (TF_CONFIG without a task)...
    processes.append(start("snippets/distribution-strategies/ps_server.py", cluster))
    # ...and the coordinator runs model.fit, as the cluster's "chief" task.
    processes.append(chief := start("snippets/distribution-strategies/ps_coordinator.py", cluster, ("chief", 0)))
    print("coordinator exit code:", wait_all([chief], timeout_s=150))
print("\n".join(sorted(task_output("ps_server"))))
print("\n".join(task_output("chief0")))
# --8<-- [end:launch]

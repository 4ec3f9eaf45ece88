"""gRPC and load balancing: a channel keeps one HTTP/2 connection and sends every call on it, so
a connection-level balancer (a Kubernetes ClusterIP Service) pins each client to one replica.
Client-side round robin opens a connection to every address the resolver returns and spreads
the calls. In Kubernetes the addresses come from a headless Service's DNS name,
    dns:///tfs-digits-grpc.default.svc.cluster.local:8500
here from a static list of the loopback replicas (gRPC's ipv4: resolver)."""

# --8<-- [start:balance]
import grpc
import tensorflow as tf
from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc


def calls_per_replica(target, lb_policy, calls=30):
    """Send `calls` predicts through one channel; count what each replica served (its metrics)."""
    before = {name: total(scrape(cluster.rest_url_of(name)), REQUESTS) for name in cluster.live()}
    channel = grpc.insecure_channel(target, options=[("grpc.lb_policy_name", lb_policy)])
    stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "digits"
    request.inputs["pixels"].CopyFrom(tf.make_tensor_proto(x_test[:1]))
    try:
        for _ in range(calls):
            stub.Predict(request, timeout=10)
    finally:
        channel.close()
    return {name: int(total(scrape(cluster.rest_url_of(name)), REQUESTS) - before[name])
            for name in before}


REQUESTS = ":tensorflow:serving:request_count"
replicas = ",".join(f"127.0.0.1:{cluster.replicas[name].grpc_port}" for name in cluster.live())
for policy, label in (("pick_first", "pick_first (gRPC's default):"), ("round_robin", "round_robin:")):
    served = calls_per_replica(f"ipv4:{replicas}", policy)
    print(f"{label:28}", served, "| replicas that served calls:", sum(n > 0 for n in served.values()))
# --8<-- [end:balance]

"""Protos TF Serving uses that the tensorflow-serving-api wheel does not ship.

MonitoringConfig (config/monitoring_config.proto) and BatchingParameters
(servables/tensorflow/session_bundle_config.proto) are rebuilt here from
their field lists (same package, names and field numbers), so text-format
files written for TF Serving parse identically.
"""
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf import wrappers_pb2  # noqa: F401  (registers wrappers.proto in the pool)

_F = descriptor_pb2.FieldDescriptorProto


def _build():
    pool = descriptor_pool.Default()
    try:
        pool.FindMessageTypeByName("tensorflow.serving.MonitoringConfig")
    except KeyError:
        fd = descriptor_pb2.FileDescriptorProto(
            name="tensorflow_serving/config/monitoring_config.proto",
            package="tensorflow.serving", syntax="proto3")
        m = fd.message_type.add(name="PrometheusConfig")
        m.field.add(name="enable", number=1, type=_F.TYPE_BOOL, label=_F.LABEL_OPTIONAL)
        m.field.add(name="path", number=2, type=_F.TYPE_STRING, label=_F.LABEL_OPTIONAL)
        m = fd.message_type.add(name="MonitoringConfig")
        m.field.add(name="prometheus_config", number=1, type=_F.TYPE_MESSAGE,
                    type_name=".tensorflow.serving.PrometheusConfig", label=_F.LABEL_OPTIONAL)
        pool.Add(fd)
    try:
        pool.FindMessageTypeByName("tensorflow.serving.BatchingParameters")
    except KeyError:
        fd = descriptor_pb2.FileDescriptorProto(
            name="tensorflow_serving/servables/tensorflow/session_bundle_config_compat.proto",
            package="tensorflow.serving", syntax="proto3",
            dependency=["google/protobuf/wrappers.proto"])
        m = fd.message_type.add(name="BatchingParameters")
        for name, num, wrapper in [
                ("max_batch_size", 1, "Int64Value"), ("batch_timeout_micros", 2, "Int64Value"),
                ("max_enqueued_batches", 3, "Int64Value"), ("num_batch_threads", 4, "Int64Value"),
                ("thread_pool_name", 5, "StringValue"),
                ("enable_large_batch_splitting", 8, "BoolValue"),
                ("max_execution_batch_size", 9, "Int64Value")]:
            m.field.add(name=name, number=num, type=_F.TYPE_MESSAGE, label=_F.LABEL_OPTIONAL,
                        type_name=".google.protobuf." + wrapper)
        m.field.add(name="allowed_batch_sizes", number=6, type=_F.TYPE_INT64, label=_F.LABEL_REPEATED)
        m.field.add(name="pad_variable_length_inputs", number=7, type=_F.TYPE_BOOL, label=_F.LABEL_OPTIONAL)
        pool.Add(fd)
    get = message_factory.GetMessageClass
    return (get(pool.FindMessageTypeByName("tensorflow.serving.MonitoringConfig")),
            get(pool.FindMessageTypeByName("tensorflow.serving.BatchingParameters")))


MonitoringConfig, BatchingParameters = _build()

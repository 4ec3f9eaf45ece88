"""GetModelMetadata, GetModelStatus and ReloadConfig.

Mirrors tensorflow_serving/servables/tensorflow/get_model_metadata_impl.cc,
model_servers/get_model_status_impl.cc and model_servers/model_service_impl.cc
(HandleReloadConfigRequest). Errors are ServingError.
"""
from tensorflow_serving.apis import get_model_metadata_pb2, get_model_status_pb2, model_management_pb2

from .errors import CODE_NUMBER, invalid_argument


class ModelServiceImpl:
    # ---- Metadata / status / reload ------------------------------------
    def get_model_metadata(self, request):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        if not request.metadata_field:
            raise invalid_argument("GetModelMetadataRequest must specify at least one metadata_field")
        for f in request.metadata_field:
            if f != "signature_def":
                raise invalid_argument("Metadata field %s is not supported" % f)
        with self.manager.get_handle(request.model_spec) as sv:
            m = get_model_metadata_pb2.SignatureDefMap()
            for k, v in sv.signatures.items():
                m.signature_def[k].CopyFrom(v)
            resp = get_model_metadata_pb2.GetModelMetadataResponse()
            resp.model_spec.name = sv.name
            resp.model_spec.version.value = sv.version
            resp.metadata["signature_def"].Pack(m)
            return resp

    def get_model_status(self, request):
        if not request.HasField("model_spec"):
            raise invalid_argument("Missing ModelSpec")
        spec = request.model_spec
        # Labels are ignored here (get_model_status_impl.cc only checks has_version()).
        version = spec.version.value if spec.HasField("version") else None
        rows = self.manager.status(spec.name, version)
        resp = get_model_status_pb2.GetModelStatusResponse()
        S = get_model_status_pb2.ModelVersionStatus
        for v, state, err in rows:
            mvs = resp.model_version_status.add()
            mvs.version = v
            mvs.state = S.State.Value(state)
            mvs.status.SetInParent()  # always present (get_model_status_impl.cc ToStatusProto)
            if err is not None:
                mvs.status.error_code = CODE_NUMBER[err.code]
                mvs.status.error_message = err.message
        return resp

    def reload_config(self, request):
        """model_service_impl.cc HandleReloadConfigRequest."""
        which = request.config.WhichOneof("config")
        if which != "model_config_list":
            raise invalid_argument("ServerModelConfig type not supported by HandleReloadConfigRequest. Only "
                                   "ModelConfigList is currently supported")
        self.manager.reload_config(request.config)
        resp = model_management_pb2.ReloadConfigResponse()
        resp.status.error_code = 0
        return resp

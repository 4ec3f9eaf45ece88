"""The request handlers shared by gRPC and REST, all on protos: TF Serving's handlers, one
module each (predict_util.py, inference.py, model_service.py), over the manager.

Every failure is a ServingError, a status code and message as absl::Status (errors.py); the
fronts map it: grpc_server.py to a gRPC status, rest_server.py to an HTTP status
(http_server.cc ToHTTPStatusCode).
"""
from .inference import InferenceImpl
from .model_service import ModelServiceImpl
from .predict_util import PredictImpl


class Core(PredictImpl, InferenceImpl, ModelServiceImpl):
    def __init__(self, manager, opts):
        self.manager = manager
        self.opts = opts
        self.method_check = opts.enable_signature_method_name_check
        self.tensor_content = opts.enable_serialization_as_tensor_content

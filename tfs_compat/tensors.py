"""TensorProto <-> numpy conversions, fast paths for the hot request path.

TF Serving fills Predict outputs with Tensor::AsProtoField, i.e. the typed
`*_val` repeated fields, not `tensor_content`, unless
--enable_serialization_as_tensor_content (servables/tensorflow/predict_util.cc).
For float/double the packed repeated field is written as raw bytes and parsed
by protobuf's C implementation, which avoids a per-element Python loop.
"""
import struct

import numpy as np
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2

TensorProto = tensor_pb2.TensorProto

# TF DataTypeString names (tensorflow/core/framework/types.cc).
DTYPE_NAMES = {
    0: "INVALID", 1: "float", 2: "double", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
    7: "string", 8: "complex64", 9: "int64", 10: "bool", 11: "qint8", 12: "quint8",
    13: "qint32", 14: "bfloat16", 15: "qint16", 16: "quint16", 17: "uint16",
    18: "complex128", 19: "half", 20: "resource", 21: "variant", 22: "uint32", 23: "uint64",
    24: "float8_e5m2", 25: "float8_e4m3fn", 26: "float8_e4m3fnuz", 27: "float8_e4m3b11fnuz",
    28: "float8_e5m2fnuz", 29: "int4", 30: "uint4",
}


def dtype_name(enum):
    return DTYPE_NAMES.get(int(enum), "unknown dtype enum (%d)" % int(enum))


DT = types_pb2
NP_BY_DT = {
    DT.DT_FLOAT: np.float32, DT.DT_DOUBLE: np.float64, DT.DT_INT32: np.int32,
    DT.DT_UINT8: np.uint8, DT.DT_INT16: np.int16, DT.DT_INT8: np.int8,
    DT.DT_INT64: np.int64, DT.DT_BOOL: np.bool_, DT.DT_UINT16: np.uint16,
    DT.DT_UINT32: np.uint32, DT.DT_UINT64: np.uint64, DT.DT_HALF: np.float16,
    DT.DT_COMPLEX64: np.complex64, DT.DT_COMPLEX128: np.complex128,
}
_DT_BY_NP = {np.dtype(v): k for k, v in NP_BY_DT.items()}


def dt_of_array(arr):
    if arr.dtype.kind in "OSU":
        return DT.DT_STRING
    dt = _DT_BY_NP.get(arr.dtype)
    if dt is None and arr.dtype.name == "bfloat16":
        return DT.DT_BFLOAT16
    return dt


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _shape_bytes(shape):
    sp = tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in shape])
    return sp.SerializeToString()


def _packed(field, raw):
    return _varint((field << 3) | 2) + _varint(len(raw)) + raw


def array_to_proto(arr, tensor_content=False):
    """numpy array → TensorProto with typed *_val fields (AsProtoField)."""
    arr = np.asarray(arr)
    dt = dt_of_array(arr)
    if dt is None:
        import tensorflow as tf
        return tf.make_tensor_proto(arr)
    if tensor_content and dt != DT.DT_STRING:
        import tensorflow as tf
        return tf.make_tensor_proto(arr)
    head = b"\x08" + _varint(dt)  # field 1: dtype
    sb = _shape_bytes(arr.shape)
    head += b"\x12" + _varint(len(sb)) + sb  # field 2: tensor_shape
    flat = arr.ravel()
    if dt == DT.DT_FLOAT:
        return TensorProto.FromString(head + _packed(5, flat.astype("<f4", copy=False).tobytes()) if flat.size else head)
    if dt == DT.DT_DOUBLE:
        return TensorProto.FromString(head + _packed(6, flat.astype("<f8", copy=False).tobytes()) if flat.size else head)
    p = TensorProto.FromString(head)
    if dt == DT.DT_STRING:
        p.string_val.extend([x if isinstance(x, bytes) else str(x).encode() for x in flat.tolist()])
    elif dt in (DT.DT_INT32, DT.DT_INT16, DT.DT_INT8, DT.DT_UINT8, DT.DT_UINT16):
        p.int_val.extend(flat.tolist())
    elif dt == DT.DT_INT64:
        p.int64_val.extend(flat.tolist())
    elif dt == DT.DT_BOOL:
        p.bool_val.extend(flat.tolist())
    elif dt == DT.DT_UINT32:
        p.uint32_val.extend(flat.tolist())
    elif dt == DT.DT_UINT64:
        p.uint64_val.extend(flat.tolist())
    elif dt in (DT.DT_HALF, DT.DT_BFLOAT16):
        p.half_val.extend(flat.view(np.uint16).tolist())
    elif dt == DT.DT_COMPLEX64:
        p.scomplex_val.extend(flat.view(np.float32).tolist())
    elif dt == DT.DT_COMPLEX128:
        p.dcomplex_val.extend(flat.view(np.float64).tolist())
    return p


_FIELD_FOR = {
    DT.DT_FLOAT: "float_val", DT.DT_DOUBLE: "double_val", DT.DT_INT32: "int_val",
    DT.DT_INT16: "int_val", DT.DT_INT8: "int_val", DT.DT_UINT8: "int_val", DT.DT_UINT16: "int_val",
    DT.DT_INT64: "int64_val", DT.DT_BOOL: "bool_val", DT.DT_UINT32: "uint32_val",
    DT.DT_UINT64: "uint64_val", DT.DT_STRING: "string_val",
}


class TensorParseError(Exception):
    pass


MAX_DIMS = 254  # TF TensorShape::MaxDimensions(); numpy stops at 64 (README, deviations)
INT64_MAX = 2**63 - 1
# Tensor::FromProto fills missing values by repeating the last one, so a tiny proto can ask for a huge
# tensor; TF fails the allocation ("tensor parsing error") only when the allocator does. This server
# refuses, as a parse error, any tensor whose values would take more than the largest message gRPC
# accepts (INT32_MAX bytes, server.cc): no request can make it allocate more than that per input.
MAX_TENSOR_BYTES = 2**31 - 1


def proto_to_array(p):
    """TensorProto → numpy, or TensorParseError where TF's Tensor::FromProto returns false."""
    try:
        return _proto_to_array(p)
    except (MemoryError, ValueError, OverflowError) as e:  # an allocation or reshape numpy refuses
        raise TensorParseError(str(e))


def _proto_to_array(p):
    """TensorProto → numpy, with TF's Tensor::FromProto acceptance rules.

    Fewer typed values than elements: the last value is repeated; none: zeros;
    more values than elements or bad tensor_content size: parse error.
    """
    if p.tensor_shape.unknown_rank:
        raise TensorParseError("unknown rank")
    shape = tuple(d.size for d in p.tensor_shape.dim)
    if len(shape) > 64 or any(d < 0 for d in shape):  # TensorShape::IsValid (254 dims in TF)
        raise TensorParseError("invalid shape")
    n = 1
    for d in shape:
        n *= d
    if n > INT64_MAX:  # TensorShape::IsValid: the element count must fit in int64
        raise TensorParseError("too many elements")
    dt = p.dtype
    npt = NP_BY_DT.get(dt)
    if n * (np.dtype(npt).itemsize if npt is not None else 8) > MAX_TENSOR_BYTES:
        raise TensorParseError("tensor too large")
    if dt == DT.DT_STRING:
        vals = list(p.string_val)
        if len(vals) > n or (vals == [] and n and p.tensor_content):
            raise TensorParseError("string count")
        if len(vals) < n:
            vals = vals + [vals[-1] if vals else b""] * (n - len(vals))
        a = np.empty(n, dtype=object)
        a[:] = vals
        return a.reshape(shape)
    if npt is None:
        import tensorflow as tf
        try:
            return tf.make_ndarray(p)
        except Exception as e:  # noqa: BLE001
            raise TensorParseError(str(e))
    if p.tensor_content:
        npd = np.dtype(npt)
        if len(p.tensor_content) != n * npd.itemsize:
            raise TensorParseError("content size")
        return np.frombuffer(p.tensor_content, dtype=npd).reshape(shape)
    if dt == DT.DT_HALF:
        vals = np.array(p.half_val, dtype=np.uint16).view(np.float16)
    elif dt == DT.DT_COMPLEX64:
        vals = np.array(p.scomplex_val, dtype=np.float32).view(np.complex64)
    elif dt == DT.DT_COMPLEX128:
        vals = np.array(p.dcomplex_val, dtype=np.float64).view(np.complex128)
    else:
        vals = np.array(getattr(p, _FIELD_FOR[dt]), dtype=npt)
    if vals.size > n:
        raise TensorParseError("too many values")
    if vals.size == n:
        return vals.reshape(shape)
    out = np.empty(n, dtype=npt)
    out[:vals.size] = vals
    out[vals.size:] = vals[-1] if vals.size else 0
    return out.reshape(shape)


def shape_string(shape):
    """TensorShape::DebugString: [2,3] / [] / [?]."""
    return "[" + ",".join(str(d) for d in shape) + "]"


_struct_f = struct.Struct("<f")

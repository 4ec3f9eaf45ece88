"""REST JSON <-> TensorProto / Example conversion (util/json_tensor.cc).

Request side: fill_predict_request / fill_classify_regress_request build the
same request protos the gRPC API receives. Response side: make_json_* render
the exact bytes TF Serving's RapidJSON PrettyWriter produces. Importable
without starting anything (pure functions).
"""
import base64
import binascii
import math

import numpy as np
from tensorflow.core.example import feature_pb2
from tensorflow.core.framework import types_pb2

from . import dense_float_body
from . import jsonparse as jp
from .errors import C, ServingError, invalid_argument, unimplemented
from .tensors import dtype_name, array_to_proto, NP_BY_DT

DT = types_pb2
ROW, COLUMNAR = "row", "columnar"
# numpy holds at most 64 dimensions; TF's TensorShape 254. JSON nested deeper than 254 levels makes
# TF Serving answer "tensor parsing error: <alias>" (Tensor::FromProto in GetInputValues); this server
# answers the same from 65 levels on (README, deviations). Checked before the recursive walk.
MAX_RANK = 64


class _TooDeep(ServingError):
    """Raised past MAX_RANK; not wrapped in the per-element context of instances errors."""

    def __init__(self, alias):
        super().__init__(C.INVALID_ARGUMENT, "tensor parsing error: %s" % alias)


def _check_rank(shape, alias, extra=0):
    if len(shape) + extra > MAX_RANK:
        raise _TooDeep(alias)


def parse_json(body):
    """json_tensor.cc ParseJson: errors are INVALID_ARGUMENT; top level must be an object."""
    if not body:
        raise invalid_argument("JSON Parse error: The document is empty")
    try:
        doc = jp.parse(body)
    except jp.JsonError as e:
        raise invalid_argument("JSON Parse error: %s at offset: %d" % (e.text, e.offset))
    if not isinstance(doc, jp.JObj):
        raise _format_error(doc, "Is not object")
    return doc


def _dbg(v):
    return jp.debug_string(v)


def _format_error(v, *parts):
    return invalid_argument("JSON Value: " + _dbg(v) + " " + "".join(parts))


def _type_error(v, dtype):
    return invalid_argument("JSON Value: %s Type: %s is not of expected type: %s"
                            % (_dbg(v), jp.type_name(v), dtype_name(dtype)))


def _is_b64(v):
    return isinstance(v, jp.JObj) and len(v.pairs) == 1 and isinstance(v.get("b64"), str)


def _b64decode(v):
    if not _is_b64(v):
        raise invalid_argument("JSON Value: %s not formatted correctly for base64 data" % _dbg(v))
    s = v["b64"]
    try:
        # absl::Base64Unescape: standard alphabet, padding optional, whitespace not allowed.
        data = s.encode("ascii").rstrip(b"=")
        if b"=" in data:
            raise ValueError
        return base64.b64decode(data + b"=" * (-len(data) % 4), validate=True) if data else b""
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise invalid_argument("Unable to base64 decode")


def _encode_str(s):
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


# Leaf checkers per dtype: return python value or raise (json_tensor.cc AddValueToTensor).
def _is_number(v):
    t = type(v)
    return t is int or t is float


def _int_in(lo, hi):
    def check(v):
        return type(v) is int and lo <= v <= hi
    return check


_LEAF_OK = {
    DT.DT_FLOAT: _is_number, DT.DT_DOUBLE: _is_number,
    DT.DT_INT32: _int_in(*jp.INT32), DT.DT_INT16: _int_in(*jp.INT32),
    DT.DT_INT8: _int_in(*jp.INT32), DT.DT_UINT8: _int_in(*jp.INT32),
    DT.DT_INT64: _int_in(*jp.INT64), DT.DT_UINT32: _int_in(*jp.UINT32),
    DT.DT_UINT64: _int_in(*jp.UINT64), DT.DT_BOOL: lambda v: type(v) is bool,
    DT.DT_STRING: lambda v: type(v) is str,
}


class _Tensor:
    """A tensor being filled from JSON: shape (list of dims) + flat values."""
    __slots__ = ("shape", "values", "dtype")

    def __init__(self, dtype):
        self.dtype = dtype
        self.shape = []
        self.values = []


def _dense_shape(v):
    """GetDenseTensorShape: sizes of first elements at each depth."""
    shape = []
    while isinstance(v, list):
        shape.append(len(v))
        if not v:
            break
        v = v[0]
    return shape


def _leaf(v, level, rank, dtype, out):
    if level != rank:
        raise invalid_argument("JSON Value: %s found at incorrect level: %d in the JSON DOM. Expected at level: %d"
                               % (_dbg(v), level + 1, rank))
    if isinstance(v, jp.JObj):
        if dtype != DT.DT_STRING:
            raise _type_error(v, dtype)
        out.append(_b64decode(v))
        return
    ok = _LEAF_OK.get(dtype)
    if ok is None:
        raise unimplemented("Conversion of JSON Value: %s to type: %s" % (_dbg(v), dtype_name(dtype)))
    if not ok(v):
        raise _type_error(v, dtype)
    out.append(_encode_str(v) if dtype == DT.DT_STRING else v)


def _fill(v, level, shape, dtype, out):
    """FillTensorProto: depth-first, first error in document order wins."""
    rank = len(shape)
    if not isinstance(v, list):
        _leaf(v, level, rank, dtype, out)
        return
    if level >= rank:
        raise invalid_argument("Encountered list at unexpected level: %d expected < %d" % (level, rank))
    if len(v) != shape[level]:
        raise invalid_argument("Encountered list at unexpected size: %d at level: %d expected size: %d"
                               % (len(v), level, shape[level]))
    if level == rank - 1:
        ok = _LEAF_OK.get(dtype)
        if ok is not None and dtype != DT.DT_STRING and all(map(ok, v)):
            out.extend(v)  # fast path: a row of valid scalars
            return
        for x in v:
            _leaf(x, level + 1, rank, dtype, out)
        return
    for x in v:
        _fill(x, level + 1, shape, dtype, out)


def _to_array(dtype, shape, values):
    if dtype == DT.DT_STRING:
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
    elif not values:
        arr = np.zeros(0, NP_BY_DT[dtype])
    elif NP_BY_DT[dtype] in (np.int8, np.uint8, np.int16):
        # int_val holds int32; Tensor::FromProto casts to the narrow type (wraps: 300 → 44 for int8).
        arr = np.array(values, dtype=np.int64).astype(NP_BY_DT[dtype])
    else:
        with np.errstate(over="ignore"):  # static_cast<float>(1e300) is inf, without a word
            arr = np.array(values, dtype=NP_BY_DT[dtype])
    return arr.reshape(shape)


# Dense numeric JSON → ndarray in one numpy call, for the dtypes whose leaf check numpy can make:
# any number for float/double (RapidJSON GetFloat/GetDouble), an int32 (IsInt) for the narrow ints,
# an int64 (IsInt64) for int64. Anything else, or any doubt, takes the per-element walk, which
# reports the first error in document order as json_tensor.cc does.
_DENSE_OK_KINDS = {
    DT.DT_FLOAT: "fiu", DT.DT_DOUBLE: "fiu", DT.DT_INT32: "i", DT.DT_INT16: "i", DT.DT_INT8: "i",
    DT.DT_UINT8: "i", DT.DT_INT64: "i",
}


_NUMERIC_BYTES = b"0123456789.,+-eE[] \t\r\n"


def _dense_numeric(value, dtype, literal_free):
    """ndarray of `value` converted as json_tensor.cc would, or None to take the per-element walk.

    numpy turns true/false/null into numbers without a word, so this runs only on bodies that hold no
    such literal (`literal_free`); strings, objects and ragged or too deep lists make numpy fail or
    pick a non-numeric kind."""
    kinds = _DENSE_OK_KINDS.get(dtype)
    if kinds is None or not literal_free:
        return None
    try:
        arr = np.array(value)
    except (ValueError, OverflowError, TypeError):
        return None
    if arr.dtype.kind not in kinds or arr.ndim > MAX_RANK:
        return None
    if dtype in (DT.DT_FLOAT, DT.DT_DOUBLE):
        if arr.dtype.kind != "f":
            arr = arr.astype(np.float64)  # RapidJSON reads an integer's double, then casts
        with np.errstate(over="ignore"):  # static_cast<float>(1e300) is inf, without a word
            return arr.astype(NP_BY_DT[dtype], copy=False)
    if dtype != DT.DT_INT64 and arr.size and (arr.min() < jp.INT32[0] or arr.max() > jp.INT32[1]):
        return None
    return arr.astype(NP_BY_DT[dtype], copy=False)  # int_val → int8/16/uint8 wraps like Tensor::FromProto


def _add_instance_item(item, name, infos, size_map, shape_map, tensors):
    info = infos.get(name)
    if info is None:
        raise invalid_argument("JSON object: does not have named input: %s" % name)
    shape = _dense_shape(item)
    _check_rank(shape, name, 1)
    t = tensors.get(name)
    if t is None:
        t = tensors[name] = _Tensor(info.dtype)
    before = len(t.values)
    _fill(item, 0, shape, info.dtype, t.values)
    size = len(t.values) - before
    if name not in size_map:
        size_map[name] = size
        shape_map[name] = shape
    elif size_map[name] != size:
        raise invalid_argument("Expecting tensor size: %d but got: %d" % (size_map[name], size))
    elif shape_map[name] != shape:
        raise invalid_argument("Expecting shape %s but got: %s" % (
            "[" + ",".join(map(str, shape_map[name])) + "]", "[" + ",".join(map(str, shape)) + "]"))


def _is_element_object(v):
    return isinstance(v, jp.JObj) and not _is_b64(v)


def _from_instances(instances, infos, literal_free=False):
    if not isinstance(instances[0], jp.JObj) and len(infos) > 1:
        raise invalid_argument("instances is a plain list, but expecting list of objects as multiple "
                               "input tensors required as per tensorinfo_map")
    objects = _is_element_object(instances[0])
    if not objects:
        name, info = next(iter(infos.items()))
        arr = _dense_numeric(instances, info.dtype, literal_free)
        if arr is not None:
            return {name: arr}
    names = sorted(infos)
    tensors, size_map, shape_map = {}, {}, {}
    for i, elem in enumerate(instances):
        if objects:
            if not _is_element_object(elem):
                raise invalid_argument("Expecting object but got list at item %d of input list" % i)
            keys = set()
            for k, v in elem.pairs:
                keys.add(k)
                try:
                    _add_instance_item(v, k, infos, size_map, shape_map, tensors)
                except _TooDeep:
                    raise
                except ServingError as e:
                    raise invalid_argument("Failed to process element: %d key: %s of 'instances' list. Error: %s"
                                           % (i, k, e.to_string()))
            if keys != set(names):
                raise invalid_argument("Failed to process element: %d of 'instances' list. JSON object: %s "
                                       "keys must be equal to: %s" % (i, _dbg(elem), ",".join(names)))
        else:
            if _is_element_object(elem):
                raise invalid_argument("Expecting value/list but got object at item %d of input list" % i)
            try:
                _add_instance_item(elem, next(iter(infos)), infos, size_map, shape_map, tensors)
            except _TooDeep:
                raise
            except ServingError as e:
                raise invalid_argument("Failed to process element: %d of 'instances' list. Error: %s"
                                       % (i, e.to_string()))
    n = len(instances)
    return {name: _to_array(t.dtype, [n] + shape_map[name], t.values) for name, t in tensors.items()}


def _from_inputs(val, infos, literal_free=False):
    out = {}
    if not isinstance(val, jp.JObj) or _is_b64(val):
        if len(infos) > 1:
            raise invalid_argument("inputs is a plain value/list, but expecting an object as multiple "
                                   "input tensors required as per tensorinfo_map")
        name, info = next(iter(infos.items()))
        items = [(name, info, val)]
    else:
        items = []
        for name, info in infos.items():
            if name not in val:
                raise invalid_argument("Missing named input: %s in 'inputs' object." % name)
            items.append((name, info, val[name]))
    for name, info, v in items:
        arr = _dense_numeric(v, info.dtype, literal_free)
        if arr is not None:
            out[name] = arr
            continue
        shape = _dense_shape(v)
        _check_rank(shape, name)
        values = []
        _fill(v, 0, shape, info.dtype, values)
        out[name] = _to_array(info.dtype, shape, values)
    return out


def fill_predict_request(body, request, get_tensorinfo_map, arrays=None):
    """FillPredictRequestFromJson. `get_tensorinfo_map(signature_name)` → {alias: TensorInfo}
    (resolves model/version/label/signature; may raise). Returns ROW or COLUMNAR. With an `arrays`
    dict, the input tensors go there as ndarrays instead of into request.inputs (no proto round trip)."""
    fast = _dense_float_request(body, get_tensorinfo_map)
    if fast is not None:
        tensors, fmt = fast
        _put(tensors, request, arrays)
        return fmt
    doc = parse_json(body)
    raw = body if isinstance(body, (bytes, bytearray)) else str(body).encode("utf-8", "surrogatepass")
    # One pass drops what numbers and arrays are made of; true/false/null keep "tru"/"fals"/"nul".
    rest = raw.translate(None, _NUMERIC_BYTES)
    literal_free = b"tru" not in rest and b"fals" not in rest and b"nul" not in rest
    sig = doc.get("signature_name", None) if "signature_name" in doc else None
    if "signature_name" in doc:
        if not isinstance(sig, str):
            raise invalid_argument("JSON Value: %s not formatted correctly. 'signature_name' key must be a string value."
                                   % _dbg(doc))
        if _is_utf8(sig):
            request.model_spec.signature_name = sig
        else:  # cannot name a signature: GetInfoMap answers "not found" for it
            get_tensorinfo_map(sig)
            raise invalid_argument('Serving signature name: "%s" not found in signature def' % sig)
    infos = get_tensorinfo_map(request.model_spec.signature_name)
    if not infos:
        raise invalid_argument("Failed to get input map for signature: %s"
                               % (request.model_spec.signature_name or "DEFAULT"))
    has_inst, has_inp = "instances" in doc, "inputs" in doc
    if has_inst and has_inp:
        raise _format_error(doc, "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ")
    if has_inst:
        inst = doc["instances"]
        if not isinstance(inst, list):
            raise _format_error(doc, "Expecting 'instances' to be an list/array")
        if not inst:
            raise _format_error(doc, "No values in 'instances' array")
        tensors, fmt = _from_instances(inst, infos, literal_free), ROW
    elif has_inp:
        tensors, fmt = _from_inputs(doc["inputs"], infos, literal_free), COLUMNAR
    else:
        raise invalid_argument("Missing 'inputs' or 'instances' key")
    _put(tensors, request, arrays)
    return fmt


def _put(tensors, request, arrays):
    if arrays is not None:
        arrays.update(tensors)
    else:
        for k, v in tensors.items():
            request.inputs[k].CopyFrom(array_to_proto(v))


def _dense_float_request(body, get_tensorinfo_map):
    """({alias: ndarray}, ROW or COLUMNAR) when the default signature's only input is DT_FLOAT and
    the body is one dense array of numbers (dense_float_body.py); None sends the body down the
    general path. The signature comes first, so a body for another dtype is not parsed twice; a
    lookup that fails is left to the general path, which reports the body's own errors before it,
    as TF Serving does."""
    try:
        infos = get_tensorinfo_map("")
    except ServingError:
        return None
    if len(infos) != 1:
        return None
    (name, info), = infos.items()
    if info.dtype != DT.DT_FLOAT:
        return None
    dense = dense_float_body.read_float_array(body)  # at most 64 dimensions, as MAX_RANK
    if dense is None:
        return None
    key, arr = dense
    return {name: arr}, (ROW if key == "instances" else COLUMNAR)


# --- classify / regress requests -------------------------------------------

_KIND_NAME = {"bytes_list": "bytes", "float_list": "float", "int64_list": "int64", None: "UNKNOWN"}


def _add_to_feature(v, name, f, kind):
    """AddValueToFeature; `kind` is the list kind chosen so far (or None)."""
    def need(k):
        if kind[0] not in (None, k):
            raise invalid_argument("Unexpected element type in feature: %s expecting type: %s"
                                   % (name, _KIND_NAME[kind[0]]))
        kind[0] = k
    if v is None or isinstance(v, list) or (isinstance(v, jp.JObj) and not _is_b64(v)):
        raise invalid_argument("Feature: %s has element with unexpected JSON type: %s" % (name, jp.type_name(v)))
    if v is True or v is False:
        need("int64_list")
        f.int64_list.value.append(1 if v else 0)
    elif isinstance(v, jp.JObj):
        need("bytes_list")
        f.bytes_list.value.append(_b64decode(v))
    elif isinstance(v, str):
        need("bytes_list")
        f.bytes_list.value.append(_encode_str(v))
    elif type(v) is float:
        need("float_list")
        f.float_list.value.append(v)
    else:
        need("int64_list")
        if v > jp.INT64[1]:
            raise invalid_argument("Feature: %s has uint64_t element. Only int64_t is supported." % name)
        f.int64_list.value.append(v)


def _make_example(val, example):
    if not isinstance(val, jp.JObj):
        raise invalid_argument("Example must be JSON object but got JSON %s" % jp.type_name(val))
    for name, content in val.pairs:
        f = feature_pb2.Feature()
        kind = [None]
        for v in (content if isinstance(content, list) else [content]):
            _add_to_feature(v, name, f, kind)
        if not _is_utf8(name):
            # TF Serving keeps the key as bytes; a protobuf string here must be UTF-8. No model's parse
            # spec can name such a feature (its keys are UTF-8 attrs), so dropping it parses the same.
            continue
        example.features.feature[name].CopyFrom(f)


def _is_utf8(s):
    try:
        s.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def fill_classify_regress_request(body, request):
    """FillClassificationRequestFromJson / FillRegressionRequestFromJson. Returns a signature name
    that is not valid UTF-8 (so cannot be set on the proto nor name any signature), else None."""
    doc = parse_json(body)
    bad_signature = None
    if "signature_name" in doc:
        if not isinstance(doc["signature_name"], str):
            raise invalid_argument("JSON Value: %s not formatted correctly. 'signature_name' key must be a string value."
                                   % _dbg(doc))
        if _is_utf8(doc["signature_name"]):
            request.model_spec.signature_name = doc["signature_name"]
        else:
            bad_signature = doc["signature_name"]
    has_context = "context" in doc
    if has_context:
        _make_example(doc["context"], request.input.example_list_with_context.context)
    if "examples" not in doc:
        # Same wording for regress (json_tensor.cc).
        raise _format_error(doc, "When method is classify, key 'examples' is expected and was not found")
    ex = doc["examples"]
    if not isinstance(ex, list):
        raise _format_error(doc, "Expecting 'examples' value to be an list/array")
    if not ex:
        raise _format_error(doc, "'examples' value is an empty array")
    for v in ex:
        target = (request.input.example_list_with_context.examples if has_context
                  else request.input.example_list.examples)
        _make_example(v, target.add())
    return bad_signature


# --- responses ---------------------------------------------------------------

def _fmt_floats(arr, double):
    """WriteDecimal: %g (6 digits); if not round-trip → %.9g / %.17g; '.0' for plain integers."""
    vals = arr.tolist()
    out = ["%g" % x for x in vals]
    if not out:
        return out
    back = np.array([s if s not in ("nan", "inf", "-inf") else "0" for s in out], dtype=np.float64)
    if not double:
        back = back.astype(np.float32)
    ref = arr.astype(np.float64 if double else np.float32)
    bad = np.nonzero(back != ref)[0]
    full = "%.17g" if double else "%.9g"
    for i in bad:
        x = vals[i]
        out[i] = full % x
    for i, s in enumerate(out):
        if "." not in s and "e" not in s:
            x = vals[i]
            if math.isnan(x):
                out[i] = "NaN"
            elif math.isinf(x):
                out[i] = "-Infinity" if x < 0 else "Infinity"
            else:
                out[i] = s + ".0"
    return out


def _scalars(arr, dtype, as_bytes):
    """Flat list of JSON token strings for an array (AddSingleValueAndAdvance)."""
    flat = arr.ravel()
    if dtype == DT.DT_FLOAT:
        return _fmt_floats(flat, False)
    if dtype == DT.DT_DOUBLE:
        return _fmt_floats(flat, True)
    if dtype in (DT.DT_INT32, DT.DT_INT16, DT.DT_INT8, DT.DT_UINT8, DT.DT_INT64, DT.DT_UINT32, DT.DT_UINT64):
        return [str(x) for x in flat.tolist()]
    if dtype == DT.DT_BOOL:
        return ["true" if x else "false" for x in flat.tolist()]
    if dtype == DT.DT_STRING:
        vals = [x if isinstance(x, bytes) else str(x).encode() for x in flat.tolist()]
        if as_bytes:
            return ['{\n"b64": "%s"\n}' % base64.b64encode(x).decode() for x in vals]
        return [jp.quote(x.decode("utf-8", "surrogateescape")) for x in vals]
    raise invalid_argument("Failed to write JSON value for tensor type: %s" % dtype_name(dtype))


def _b64_obj(token, indent):
    # A {"b64": ...} object inside the writer: key on its own line at `indent`.
    if token.startswith('{\n"b64"'):
        inner = token[2:-2]
        return "{\n" + " " * (indent + 4) + inner + "\n" + " " * indent + "}"
    return token


def _single_line(tokens, shape, pos, dim, indent):
    """Single-line-array rendering of dims[dim:] (kFormatSingleLineArray)."""
    if dim == len(shape):
        pos[0] += 1
        return _b64_obj(tokens[pos[0] - 1], indent), None
    if dim == len(shape) - 1 and not (tokens and tokens[0].startswith("{")):
        start = pos[0]  # a row of plain scalars (not b64 objects): one join
        pos[0] += shape[dim]
        return "[" + ", ".join(tokens[start:pos[0]]) + "]", None
    parts = []
    for _ in range(shape[dim]):
        if dim == len(shape) - 1:
            parts.append(_b64_obj(tokens[pos[0]], indent + 4))
            pos[0] += 1
        else:
            parts.append(_single_line(tokens, shape, pos, dim + 1, indent + 4)[0])
    return "[" + ", ".join(parts) + "]", None


def _expanded(tokens, shape, pos, dim, indent):
    """Default PrettyWriter rendering: one element per line."""
    if dim == len(shape):
        t = tokens[pos[0]]
        pos[0] += 1
        return _b64_obj(t, indent)
    if shape[dim] == 0:
        return "[]"
    pad = " " * (indent + 4)
    items = [_expanded(tokens, shape, pos, dim + 1, indent + 4) for _ in range(shape[dim])]
    return "[\n" + pad + (",\n" + pad).join(items) + "\n" + " " * indent + "]"


def _prepare(outputs):
    """outputs: {alias: (dtype, ndarray)} → sorted list of (alias, dtype, arr, tokens)."""
    res = []
    for name in sorted(outputs):
        dtype, arr = outputs[name]
        res.append((name, dtype, arr, None))
    return res


def make_json_from_tensors(outputs, fmt):
    """MakeJsonFromTensors. outputs: {alias: (dtype_enum, ndarray)}. Returns str."""
    if not outputs:
        raise invalid_argument("Cannot convert empty tensor map to JSON")
    items = _prepare(outputs)
    if fmt == ROW:
        batch = -1
        for name, dtype, arr, _ in items:
            if arr.ndim == 0:
                raise invalid_argument("Tensor name: %s has no shape information " % name)
            if batch >= 0 and batch != arr.shape[0]:
                raise invalid_argument("Tensor name: %s has inconsistent batch size: %d expecting: %d"
                                       % (name, arr.shape[0], batch))
            batch = arr.shape[0]
        toks = [(name, _scalars(arr, dtype, name.endswith("_bytes") and dtype == DT.DT_STRING), arr.shape)
                for name, dtype, arr, _ in items]
        pos = {name: [0] for name, _, _ in toks}
        multi = len(toks) > 1
        if batch == 0:
            return '{\n    "predictions": []\n}'
        parts = []
        for _ in range(batch):
            if multi:
                kv = []
                for name, t, shape in toks:
                    kv.append(" " * 12 + jp.quote(name) + ": " + _single_line(t, shape, pos[name], 1, 12)[0])
                parts.append("\n" + " " * 8 + "{\n" + ",\n".join(kv) + "\n" + " " * 8 + "}")
            else:
                name, t, shape = toks[0]
                parts.append(_single_line(t, shape, pos[name], 1, 8)[0])
        sep = "," if multi else ", "
        return '{\n    "predictions": [' + sep.join(parts) + "\n    ]\n}"
    # columnar
    if len(items) == 1:
        name, dtype, arr, _ = items[0]
        t = _scalars(arr, dtype, name.endswith("_bytes") and dtype == DT.DT_STRING)
        return '{\n    "outputs": ' + _expanded(t, arr.shape, [0], 0, 4) + "\n}"
    kv = []
    for name, dtype, arr, _ in items:
        t = _scalars(arr, dtype, name.endswith("_bytes") and dtype == DT.DT_STRING)
        kv.append(" " * 8 + jp.quote(name) + ": " + _expanded(t, arr.shape, [0], 0, 8))
    return '{\n    "outputs": {\n' + ",\n".join(kv) + "\n    }\n}"


def make_json_from_classification(result):
    if not len(result.classifications):
        raise invalid_argument("Cannot convert empty ClassificationResults to JSON")
    rows = []
    for c in result.classifications:
        scores = _fmt_floats(np.array([x.score for x in c.classes], dtype=np.float32), False)
        rows.append("[" + ", ".join("[%s, %s]" % (jp.quote(x.label.decode("utf-8", "surrogateescape")
                                                           if isinstance(x.label, bytes) else x.label), s)
                                    for x, s in zip(c.classes, scores)) + "]")
    return '{\n    "results": [' + ", ".join(rows) + "\n    ]\n}"


def make_json_from_regression(result):
    if not len(result.regressions):
        raise invalid_argument("Cannot convert empty RegressionResults to JSON")
    vals = _fmt_floats(np.array([r.value for r in result.regressions], dtype=np.float32), False)
    return '{\n    "results": [' + ", ".join(vals) + "]\n}"


def make_json_from_error(message):
    """MakeJsonFromStatus."""
    return '{\n    "error": ' + jp.quote(message) + "\n}"


def to_bytes(s):
    """Response text → bytes. Bytes that were not valid UTF-8 in the request travel as surrogate
    escapes and leave as themselves (RapidJSON copies string bytes); any other lone surrogate is
    written in its 3-byte UTF-8 form, as RapidJSON 1.1.0 writes a lone \\udc00 escape."""
    try:
        return s.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")

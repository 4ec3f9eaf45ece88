"""Dense float request bodies without a Python object per number.

TF Serving copies each number of a REST body from its RapidJSON document into the request's
TensorProto in a C++ loop (util/json_tensor.cc FillTensorProto: `add_float_val(val.GetFloat())`).
The general path of json_tensor.py does the same with one Python float per number: 10 ms and more
for 256 rows of 784 numbers, most of a REST call's cost. This module takes the common case, one
DT_FLOAT input sent as `{"instances": <array>}` or `{"inputs": <array>}` where the array is dense,
rectangular and holds only numbers, and reads it with simdjson (pysimdjson), which validates the
JSON and copies the numbers into one buffer in C++. Any other body, and any doubt, returns None and
takes the general path, which answers every error with TF Serving's text and offset.

Numbers. RapidJSON 1.1.0 without kParseFullPrecisionFlag (TF Serving's flags, json_tensor.cc
ParseJson) accumulates the digits in a double and then multiplies or divides once by a power of ten
(reader.h ParseNumber, internal/strtod.h StrtodNormalPrecision): for long mantissas or large
exponents that lands a few ulps of a double away from the correctly rounded value simdjson returns.
The value is then cast to float32 (document.h: GetFloat is `static_cast<float>(GetDouble())`), and
the two float32 results differ only when the decimal lies within those few ulps of a float32
rounding midpoint: on the order of one number in 10^8 for random decimals, and never for numbers
printed from float32 values. DT_DOUBLE would keep the ulps, so it takes the general path. Integers
are read as int64 and converted to double by both; `-0` is the integer 0 for both (ParseNumber).
"""
from __future__ import annotations

import math
import re
import threading

import numpy as np
import simdjson

# RapidJSON reads from the first byte: a byte-order mark is "Invalid value" for TF Serving, while
# simdjson skips it. The body must open with whitespace and '{'.
_OPENS_OBJECT = re.compile(rb"[ \t\n\r]*\{")
_KEYS = ("instances", "inputs")
# What a JSON number and JSON whitespace are made of: removing it from a body leaves its brackets,
# commas and everything that is no number.
_NUMBER_AND_SPACE = b"0123456789.+-eE \t\n\r"
# Two ways to check that an array is rectangular, each cheap where the other is not: asking every
# array its length (about 0.35 µs an array, in Python) suits 256 rows of 784 numbers; comparing the
# body's brackets and commas with those of the dense shape (about 0.65 ns a byte, in C) suits 256
# images of 8×8×1, which hold 18,689 arrays. Measured on this project's 2-core test machine.
BYTES_PER_ARRAY = 500
_local = threading.local()  # a simdjson.Parser serves one thread, and one document at a time


def dims_of(array) -> list[int] | None:
    """The shape a simdjson Array has if it is dense: the lengths along its first elements down to
    the first number. None for an empty dimension or more than 64 (numpy's limit)."""
    dims, first = [], array
    while isinstance(first, simdjson.Array):
        if len(first) == 0 or len(dims) == 64:
            return None
        dims.append(len(first))
        first = first[0]
    return dims or None


def is_dense(body: bytes, array, dims: list[int]) -> bool:
    """True if `array`, the one array in `body`, has exactly the shape `dims` with a number, not an
    array, in each place below it (whether the places hold numbers at all, as_buffer finds)."""
    arrays = 1 + sum(math.prod(dims[:k]) for k in range(1, len(dims)))
    if arrays * BYTES_PER_ARRAY > len(body):
        skeleton = body.translate(None, _NUMBER_AND_SPACE)  # the key has no bracket, even escaped
        return skeleton[skeleton.find(b"["):skeleton.rfind(b"]") + 1] == _skeleton(dims)
    return _lengths_are(array, dims, 0) and _brackets_are(body, arrays)


def _skeleton(dims: list[int]) -> bytes:
    """The brackets and commas of a dense array of this shape: numbers leave nothing."""
    skeleton = b""
    for count in reversed(dims):
        skeleton = b"[" + b",".join([skeleton] * count) + b"]"
    return skeleton


def _lengths_are(array, dims: list[int], level: int) -> bool:
    if len(array) != dims[level]:
        return False
    if level + 1 == len(dims):
        return True
    return all(isinstance(child, simdjson.Array) and _lengths_are(child, dims, level + 1) for child in array)


def _brackets_are(body: bytes, count: int) -> bool:
    """True if `body` holds exactly `count` '[': one more would be an array in a number's place
    (`[[1, [2]], [3, 4]]` has as many numbers as a dense 2×2). bytes.find runs memchr, several times
    faster than bytes.count over a body of megabytes, and there are few '[' to step over here."""
    at = -1
    for _ in range(count):
        at = body.find(b"[", at + 1)
        if at < 0:
            return False
    return body.find(b"[", at + 1) < 0


def _parser() -> simdjson.Parser:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = simdjson.Parser()
    return parser


def read_float_array(body: bytes) -> tuple[str, np.ndarray] | None:
    """("instances" or "inputs", float32 ndarray) for a body that is an object with that one key and
    a dense array of numbers as its value; None for any other body."""
    if not isinstance(body, (bytes, bytearray)) or not _OPENS_OBJECT.match(body):
        return None
    try:
        doc = _parser().parse(body)
    except (ValueError, TypeError):  # invalid JSON, a number out of range, too deep, ...
        return None
    except RuntimeError:  # a big integer; or a proxy of the last document still alive: start afresh
        _local.parser = None
        return None
    try:
        if not isinstance(doc, simdjson.Object):
            return None
        keys = list(doc.keys())
        if len(keys) != 1 or keys[0] not in _KEYS:
            return None
        array = doc[keys[0]]
        dims = dims_of(array)
        if dims is None or not is_dense(body, array, dims):
            return None
        values = np.frombuffer(array.as_buffer(of_type="d"), dtype=np.float64)  # TypeError: not a number
    except (TypeError, ValueError, RuntimeError):
        return None
    finally:
        array = None
        del doc  # the parser takes a new document only when no proxy of the last one is alive
    if values.size != math.prod(dims):
        return None
    with np.errstate(over="ignore"):  # static_cast<float>(1e300) is inf, without a word
        return keys[0], values.astype(np.float32).reshape(dims)

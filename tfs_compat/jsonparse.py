"""JSON parsing and debug-printing with RapidJSON's observable behaviour.

TF Serving parses REST bodies with RapidJSON 1.1.0 using kParseIterativeFlag |
kParseNanAndInfFlag | kParseStopWhenDoneFlag (util/json_tensor.cc ParseJson):
  * `NaN`, `Inf`, `Infinity`, `-Inf`, `-Infinity` are numbers;
  * bytes after the first complete value are ignored;
  * errors read `<rapidjson text> at offset: <n>` (rapidjson error/en.h);
  * integers keep their type (Int/Uint/Int64/Uint64) and only literals with
    `.`/`e` (or beyond uint64) are doubles;
  * duplicate object keys are kept (lookups find the first).
Fast path: python-rapidjson, a binding of RapidJSON itself, with native number
parsing (RapidJSON's default, not full precision: TF Serving sets no
kParseFullPrecisionFlag) and NaN/Inf accepted. It differs from TF Serving's
RapidJSON 1.1.0 in a few places: it stops at a recursion limit (1.1.0 parses
iteratively), refuses bytes after the value (StopWhenDone), decodes the body
as strict UTF-8 (1.1.0 copies bytes), and refuses a lone low surrogate (1.1.0
writes it as 3 bytes). On any failure a small RapidJSON-1.1.0-like iterative
parser re-parses the text to reproduce the error text/offset, or to accept
what 1.1.0 accepts.

JsonValueToDebugString (json_tensor.cc) re-serialises values with a
PrettyWriter (4-space indent, single-line arrays) cut after 256 bytes.
"""
import math

import rapidjson

INT32 = (-2**31, 2**31 - 1)
INT64 = (-2**63, 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)


class JObj(dict):
    """A JSON object: dict view with first-occurrence-wins lookup + all pairs in order."""
    __slots__ = ("pairs",)

    def __init__(self, pairs):
        super().__init__()
        for k, v in pairs:
            if k not in self:
                dict.__setitem__(self, k, v)
        self.pairs = pairs


class JsonError(Exception):
    def __init__(self, text, offset):
        super().__init__(text)
        self.text = text
        self.offset = offset


def _int_or_double(s):
    v = int(s)
    if INT64[0] <= v <= UINT64[1]:
        return v
    d = float(s)
    if math.isinf(d):
        raise ValueError("too big")
    return d


def _float(s):
    d = float(s)
    if math.isinf(d):
        raise ValueError("too big")
    return d


_WS = " \t\n\r"


class _RapidDecoder(rapidjson.Decoder):
    """Objects as JObj (first key wins, all pairs kept), like a RapidJSON Document."""

    def start_object(self):
        return []

    def end_object(self, pairs):
        return JObj(pairs)


_rapid = _RapidDecoder(number_mode=rapidjson.NM_NAN | rapidjson.NM_NATIVE)


def parse(body):
    """Parse bytes (or str) like RapidJSON 1.1.0 with StopWhenDone. Raises JsonError(text, offset)."""
    try:
        return _rapid(body)
    except (ValueError, RecursionError, OverflowError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        pass
    if not isinstance(body, (bytes, bytearray)):
        body = body.encode("utf-8", "surrogatepass")
    # One char per byte: offsets count bytes, as RapidJSON's do; strings are decoded from their bytes.
    return _SlowParser(body.decode("latin-1")).parse()


# ---------------------------------------------------------------------------
# RapidJSON-like iterative parser (only used when the fast path fails).

_ESC = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
E_EMPTY = "The document is empty."
E_VALUE = "Invalid value."
E_MISS_NAME = "Missing a name for object member."
E_MISS_COLON = "Missing a colon after a name of object member."
E_OBJ_COMMA = "Missing a comma or '}' after an object member."
E_ARR_COMMA = "Missing a comma or ']' after an array element."
E_HEX = "Incorrect hex digit after \\u escape in string."
E_SURROGATE = "The surrogate pair in string is invalid."
E_ESCAPE = "Invalid escape character in string."
E_QUOTE = "Missing a closing quotation mark in string."
E_TOO_BIG = "Number too big to be stored in double."
E_FRACTION = "Miss fraction part in number."
E_EXPONENT = "Miss exponent in number."


class _SlowParser:
    def __init__(self, text):
        # RapidJSON's MemoryStream yields '\0' at the end; an embedded NUL also stops it.
        self.t = text
        self.n = len(text)
        nul = text.find("\x00")
        if nul >= 0:
            self.n = nul
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < self.n else "\x00"

    def ws(self):
        while self.i < self.n and self.t[self.i] in _WS:
            self.i += 1

    def err(self, msg, off=None):
        raise JsonError(msg, self.i if off is None else off)

    def parse(self):
        self.ws()
        c = self.peek()
        if c == "\x00" or c in "]},:":
            self.err(E_EMPTY)
        return self.value_or_container()

    def value_or_container(self):
        # Explicit stack: RapidJSON's iterative mode has no recursion limit.
        root = None
        stack = []  # entries: [container, is_object, pending_key]

        def attach(v):
            nonlocal root
            if not stack:
                root = v
            else:
                top = stack[-1]
                if top[1]:
                    top[0].append((top[2], v))
                else:
                    top[0].append(v)

        state = "value"
        while True:
            if state == "value":
                c = self.peek()
                if c == "{":
                    self.i += 1
                    stack.append([[], True, None])
                    self.ws()
                    c = self.peek()
                    if c == "}":
                        self.i += 1
                        state = "close"
                        continue
                    state = "key"
                    continue
                if c == "[":
                    self.i += 1
                    stack.append([[], False, None])
                    self.ws()
                    if self.peek() == "]":
                        self.i += 1
                        state = "close"
                        continue
                    c = self.peek()
                    if c in "]},:\x00":
                        self.err(E_VALUE)
                    continue
                if c in "]},:\x00":
                    self.err(E_VALUE)
                attach(self.scalar())
                state = "after"
                continue
            if state == "key":
                if self.peek() != '"':
                    self.err(E_MISS_NAME)
                stack[-1][2] = self.string()
                self.ws()
                if self.peek() != ":":
                    self.err(E_MISS_COLON)
                self.i += 1
                self.ws()
                if self.peek() in "]},:\x00":
                    self.err(E_VALUE)
                state = "value"
                continue
            if state == "close":
                cont, is_obj, _ = stack.pop()
                attach(JObj(cont) if is_obj else cont)
                state = "after"
                continue
            # state == "after": a value was completed
            if not stack:
                return root
            self.ws()
            c = self.peek()
            top = stack[-1]
            if top[1]:
                if c == ",":
                    self.i += 1
                    self.ws()
                    state = "key"
                elif c == "}":
                    self.i += 1
                    state = "close"
                else:
                    self.err(E_OBJ_COMMA)
            else:
                if c == ",":
                    self.i += 1
                    self.ws()
                    if self.peek() in "]},:\x00":
                        self.err(E_VALUE)
                    state = "value"
                elif c == "]":
                    self.i += 1
                    state = "close"
                else:
                    self.err(E_ARR_COMMA)

    def literal(self, word, value):
        self.i += 1
        for ch in word[1:]:
            if self.peek() != ch:
                self.err(E_VALUE)
            self.i += 1
        return value

    def scalar(self):
        c = self.peek()
        if c == '"':
            return self.string()
        if c == "n":
            return self.literal("null", None)
        if c == "t":
            return self.literal("true", True)
        if c == "f":
            return self.literal("false", False)
        return self.number()

    def hex4(self, esc_off):
        h = self.t[self.i:self.i + 4] if self.i + 4 <= self.n else None
        if not h or any(ch not in "0123456789abcdefABCDEF" for ch in h):
            self.err(E_HEX, esc_off)
        self.i += 4
        return int(h, 16)

    def string(self):
        self.i += 1
        out, raw = [], bytearray()  # raw: the current run of literal bytes (text is latin-1 decoded)
        t = self.t
        while True:
            if self.i >= self.n:
                self.err(E_QUOTE)
            c = t[self.i]
            if c == '"':
                self.i += 1
                out.append(raw.decode("utf-8", "surrogateescape"))
                return "".join(out)
            if c == "\\":
                out.append(raw.decode("utf-8", "surrogateescape"))
                raw.clear()
                esc_off = self.i
                self.i += 1
                e = self.peek()
                if e in _ESC:
                    out.append(_ESC[e])
                    self.i += 1
                elif e == "u":
                    self.i += 1
                    cp = self.hex4(esc_off)
                    if 0xD800 <= cp <= 0xDBFF:
                        if t[self.i:self.i + 2] != "\\u":
                            self.err(E_SURROGATE, esc_off)
                        self.i += 2
                        cp2 = self.hex4(esc_off)
                        if not 0xDC00 <= cp2 <= 0xDFFF:
                            self.err(E_SURROGATE, esc_off)
                        cp = (((cp - 0xD800) << 10) | (cp2 - 0xDC00)) + 0x10000
                    out.append(chr(cp))
                else:
                    self.err(E_ESCAPE, esc_off)
                continue
            if c < " ":
                self.err(E_ESCAPE)
            raw.append(ord(c))
            self.i += 1

    def number(self):
        start = self.i
        t = self.t
        minus = self.peek() == "-"
        if minus:
            self.i += 1
        c = self.peek()
        if c == "0":
            self.i += 1
        elif "1" <= c <= "9":
            while "0" <= self.peek() <= "9":
                self.i += 1
        elif c in "NI":
            if c == "N":
                if t[self.i:self.i + 3] == "NaN":
                    self.i += 3
                    return float("nan")
                self.i += 1
                if self.peek() == "a":
                    self.i += 1
                self.err(E_VALUE)
            if t[self.i:self.i + 3] == "Inf":
                self.i += 3
                if self.peek() == "i":
                    for ch in "inity":
                        if self.peek() != ch:
                            self.err(E_VALUE)
                        self.i += 1
                return float("-inf") if minus else float("inf")
            self.i += 1
            if self.peek() == "n":
                self.i += 1
            self.err(E_VALUE)
        else:
            self.err(E_VALUE)
        is_double = False
        if self.peek() == ".":
            self.i += 1
            if not "0" <= self.peek() <= "9":
                self.err(E_FRACTION)
            while "0" <= self.peek() <= "9":
                self.i += 1
            is_double = True
        if self.peek() in "eE":
            self.i += 1
            if self.peek() in "+-":
                self.i += 1
            if not "0" <= self.peek() <= "9":
                self.err(E_EXPONENT)
            while "0" <= self.peek() <= "9":
                self.i += 1
            is_double = True
        text = t[start:self.i]
        try:
            return _float(text) if is_double else _int_or_double(text)
        except ValueError:
            self.err(E_TOO_BIG, start)


# ---------------------------------------------------------------------------
# Writing (RapidJSON Writer/PrettyWriter conventions).

_ESCAPE_TABLE = {i: "\\u%04X" % i for i in range(0x20)}
_ESCAPE_TABLE.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r",
                      0x22: '\\"', 0x5C: "\\\\"})


def quote(s):
    """RapidJSON Writer::String: escape '"', '\\' and control chars; non-ASCII raw."""
    return '"' + s.translate(_ESCAPE_TABLE) + '"'


def _exp(k):
    return "e" + str(k)


def rapidjson_double(d):
    """Writer::Double (Grisu shortest digits + Prettify); None for NaN/Inf (writer fails)."""
    if math.isnan(d) or math.isinf(d):
        return None
    if d == 0:
        return "-0.0" if math.copysign(1.0, d) < 0 else "0.0"
    sign = "-" if d < 0 else ""
    r = repr(abs(d))
    mant, _, e = r.partition("e")
    ip, _, fp = mant.partition(".")
    digits = (ip + fp).lstrip("0")
    k = (int(e) if e else 0) - len(fp)
    # Normalise: value = int(digits) * 10**k (digits without trailing zeros)
    stripped = digits.rstrip("0")
    k += len(digits) - len(stripped)
    digits = stripped
    length = len(digits)
    kk = length + k
    if 0 <= k and kk <= 21:
        out = digits + "0" * k + ".0"
    elif 0 < kk <= 21:
        out = digits[:kk] + "." + digits[kk:]
    elif -6 < kk <= 0:
        out = "0." + "0" * (-kk) + digits
    elif length == 1:
        out = digits + _exp(kk - 1)
    else:
        out = digits[0] + "." + digits[1:] + _exp(kk - 1)
    return sign + out


class _LimitWriter:
    """PrettyWriter (indent 4, kFormatSingleLineArray) that stops once 256 bytes are written."""

    def __init__(self, limit):
        self.parts = []
        self.size = 0
        self.limit = limit
        self.levels = []  # [in_array, value_count]

    def _put(self, s):
        self.parts.append(s)
        self.size += len(s.encode("utf-8", "surrogatepass"))

    def _prefix(self):
        if self.levels:
            lv = self.levels[-1]
            if lv[0]:
                if lv[1] > 0:
                    self._put(", ")
            else:
                if lv[1] > 0:
                    self._put(",\n" if lv[1] % 2 == 0 else ": ")
                else:
                    self._put("\n")
                if lv[1] % 2 == 0:
                    self._put(" " * (4 * len(self.levels)))
            lv[1] += 1

    def value(self, v):
        if self.size >= self.limit:
            return False
        if isinstance(v, JObj):
            self._prefix()
            self._put("{")
            self.levels.append([False, 0])
            for k, x in v.pairs:
                if self.size >= self.limit:
                    return False
                self._prefix()
                self._put(quote(k))
                if not self.value(x):
                    return False
            if self.size >= self.limit:
                return False
            lv = self.levels.pop()
            if lv[1]:
                self._put("\n" + " " * (4 * len(self.levels)))
            self._put("}")
            return True
        if isinstance(v, list):
            self._prefix()
            self._put("[")
            self.levels.append([True, 0])
            for x in v:
                if not self.value(x):
                    return False
            if self.size >= self.limit:
                return False
            self.levels.pop()
            self._put("]")
            return True
        if v is None:
            s = "null"
        elif v is True:
            s = "true"
        elif v is False:
            s = "false"
        elif isinstance(v, str):
            s = quote(v)
        elif isinstance(v, int):
            s = str(v)
        else:
            s = rapidjson_double(v)
            if s is None:
                return False
        self._prefix()
        self._put(s)
        return True


def debug_string(v, limit=256):
    """json_tensor.cc JsonValueToDebugString."""
    w = _LimitWriter(limit)
    w.value(v)
    return "".join(w.parts)


def type_name(v):
    """json_tensor.cc JsonTypeString."""
    if v is None:
        return "Null"
    if v is True:
        return "True"
    if v is False:
        return "False"
    if isinstance(v, dict):
        return "Object"
    if isinstance(v, list):
        return "Array"
    if isinstance(v, str):
        return "String"
    return "Number"

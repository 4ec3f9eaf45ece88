"""Compare what a block printed with the expected output shown on the page.

Exact, line by line (trailing spaces and surrounding blank lines aside), with two
relaxations a page opts into explicitly, each visible to the reader of the page:

* ``...`` inside a line stands for any text on that line, and a line that is only ``...``
  stands for one or more whole lines (for what truly varies: paths, ports, log lines).
  Neither ever stands for an error: text containing ``Error``, ``Exception`` or
  ``Traceback`` must be written out on the page. An expected output made of nothing but
  ``...`` lines checks nothing and is refused.
* A number written with a tilde, ``~0.95``, is a measurement: under
  ``<!--pytest.mark.tolerance(rel=0.25, abs=0.5)-->`` before the block, the number printed
  in its place may differ from it by ``max(abs, rel * |number|)``, and runs of spaces may
  vary in width so aligned columns still match when a number gains a digit. Every other
  character is compared exactly: identifiers (``tfs-1``), dtypes (``float32``), percentile
  names (``p50``), row labels (``256``) and plain numbers. A tilde number without a
  tolerance mark, or a tolerance mark without a tilde number, is refused as a mistake.

``--update-outputs`` rewrites a page from a run with :func:`rewrite`, which keeps the
tildes and the ``...`` where the new output still fits them, and :func:`verdict_change`
refuses a rewrite that would turn a ``True`` into ``False`` or back: a verdict that
changes is a finding, not a new measurement.
"""

from __future__ import annotations

import math
import re

NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
# "~" then a number: a measurement. The tilde must not follow a word character ("a~1" is text).
_TOKEN = re.compile(rf"(\.\.\.)|(?<!\w)~({NUMBER})")
# What "..." may never stand for: an error the block printed.
ERROR_WORDS = ("Error", "Exception", "Traceback")
_NOT_ERROR = "(?:(?!" + "|".join(ERROR_WORDS) + ").)"
_ANY_ON_LINE = f"({_NOT_ERROR}*?)"
_ANY_LINES = f"((?:{_NOT_ERROR}*\\n)+?)"
_VERDICT = re.compile(r"\b(True|False)\b")


class OutputSpecError(ValueError):
    """The page's expected output or its tolerance mark cannot be checked as written."""


def _normalise(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _literal(text: str, loose_spaces: bool) -> str:
    # Under a tolerance, a number may gain or lose a digit: let aligned columns' spaces vary.
    if not loose_spaces:
        return re.escape(text)
    return " +".join(re.escape(part) for part in re.split(r" +", text))


def _line_pattern(line: str, loose_spaces: bool) -> str:
    parts, pos = [], 0
    for match in _TOKEN.finditer(line):
        parts.append(_literal(line[pos:match.start()], loose_spaces))
        parts.append(_ANY_ON_LINE if match.group(1) else f"({NUMBER})(?![\\d.])")
        pos = match.end()
    parts.append(_literal(line[pos:], loose_spaces))
    return "".join(parts)


def _pattern(exp_lines: list[str], loose_spaces: bool) -> str:
    return "".join(_ANY_LINES if line.strip() == "..." else _line_pattern(line, loose_spaces) + r"\n"
                   for line in exp_lines)


def _tokens(exp_lines: list[str]) -> list[tuple[str, str | None]]:
    """("lines" | "text" | "number", the page's number) for each group of the pattern, in order."""
    found = []
    for line in exp_lines:
        if line.strip() == "...":
            found.append(("lines", None))
            continue
        for match in _TOKEN.finditer(line):
            found.append(("text", None) if match.group(1) else ("number", match.group(2)))
    return found


def measured_numbers(expected: str) -> list[float]:
    """The numbers the page marks as measured (``~N``), in order."""
    return [float(value) for kind, value in _tokens(_normalise(expected)) if kind == "number"]


def check_spec(expected: str, tolerance: dict | None) -> None:
    """Refuse an expected output that would check nothing, or a tolerance that applies to nothing."""
    exp_lines = _normalise(expected)
    if exp_lines and all(line.strip() in ("...", "") for line in exp_lines):
        raise OutputSpecError("the expected output is only `...`: it would accept any output, "
                              "errors included; show what the block prints")
    marked = measured_numbers(expected)
    if tolerance is not None and not marked:
        raise OutputSpecError("a tolerance mark, but no number marked as measured: write the "
                              "measured numbers as ~N (e.g. `accuracy: ~0.95`); other numbers are exact")
    if tolerance is None and marked:
        raise OutputSpecError(f"numbers marked as measured (~{marked[0]:g}) but no "
                              "<!--pytest.mark.tolerance(rel=..., abs=...)--> before the block")
    if tolerance is not None:
        unknown = set(tolerance) - {"rel", "abs"}
        if unknown:
            raise OutputSpecError(f"tolerance takes rel= and abs=, not {sorted(unknown)}")


def _match(expected: str, actual: str, loose_spaces: bool):
    exp_lines, act_lines = _normalise(expected), _normalise(actual)
    return re.fullmatch(_pattern(exp_lines, loose_spaces), "\n".join(act_lines) + "\n"), exp_lines


def mismatch(expected: str, actual: str, tolerance: dict | None = None,
             ignore_whitespace: bool = False) -> str | None:
    """Return None when ``actual`` matches ``expected``, else a reason."""
    if ignore_whitespace:
        if re.sub(r"\s+", "", expected) == re.sub(r"\s+", "", actual):
            return None
        return "output differs (whitespace ignored)"
    try:
        check_spec(expected, tolerance)
    except OutputSpecError as error:
        return f"the page's expected output cannot be checked: {error}"
    match, exp_lines = _match(expected, actual, loose_spaces=tolerance is not None)
    if match is None:
        if any(word in actual for word in ERROR_WORDS) and "..." in expected:
            return "output differs from the page (`...` never stands for an error text)"
        return "output differs from the page"
    if tolerance is None:
        return None
    rel = float(tolerance.get("rel", 0.0))
    absolute = float(tolerance.get("abs", 0.0))
    problems = []
    for (kind, want_text), have_text in zip(_tokens(exp_lines), match.groups()):
        if kind != "number":
            continue
        want, have = float(want_text), float(have_text)
        allowed = max(absolute, rel * abs(want))
        if not math.isclose(want, have, rel_tol=0, abs_tol=allowed + 1e-12):
            problems.append(f"page says ~{want_text}, measured {have_text} (allowed ±{allowed:g})")
    if problems:
        return "measured numbers beyond tolerance: " + "; ".join(problems)
    return None


def rewrite(expected: str, actual: str) -> str:
    """The expected output to put on the page after this run: the printed text, with the
    page's ``~`` marks and ``...`` kept wherever the new output still fits them."""
    match, exp_lines = _match(expected, actual, loose_spaces=True)
    act = "\n".join(_normalise(actual)) + "\n"
    if match is None:
        return act
    out, pos = [], 0
    for index, (kind, _) in enumerate(_tokens(exp_lines), start=1):
        start, end = match.span(index)
        text = act[pos:start]
        if kind == "number":
            # Keep columns aligned: the tilde takes the place of one padding space.
            if text.endswith("  "):
                text = text[:-1]
            out += [text, "~", act[start:end]]
        elif kind == "text":
            out += [text, "..."]
        else:
            out += [text, "...\n"]
        pos = end
    out.append(act[pos:])
    return "".join(out)


def verdict_change(expected: str, new: str) -> str | None:
    """Why rewriting ``expected`` as ``new`` would change a verdict (True/False), or None."""
    def verdicts(text):
        return [(line.strip(), word) for line in _normalise(text) for word in _VERDICT.findall(line)]

    before, after = verdicts(expected), verdicts(new)
    if [word for _, word in before] == [word for _, word in after]:
        return None
    lines = "\n".join(f"  page: {line}" for line, _ in before) or "  page: (no verdict)"
    lines += "\n" + ("\n".join(f"  run:  {line}" for line, _ in after) or "  run:  (no verdict)")
    return ("--update-outputs does not change a True/False verdict: the run disagrees with the "
            "page, so fix the code or the claim and edit the page by hand\n" + lines)

"""Compare what a block printed with the expected output shown on the page.

Exact, line by line (trailing spaces and surrounding blank lines aside), with two
relaxations a page opts into explicitly:

* ``...`` inside a line matches any text on that line; a line that is only ``...``
  matches any number of lines (for what truly varies: paths, addresses, log lines);
* ``<!--pytest.mark.tolerance(rel=0.2, abs=0.5)-->`` before the block lets every number
  in the output differ from the page's number by ``max(abs, rel * |page number|)``
  (for measurements: sizes, accuracies, latencies), and runs of spaces vary in width so
  aligned columns still match when a number gains a digit.
"""

from __future__ import annotations

import math
import re

NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"(\.\.\.)|({NUMBER})")


def _normalise(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _literal(text: str, numeric: bool) -> str:
    # Under a tolerance, a number may gain or lose a digit: let aligned columns' spaces vary.
    if not numeric:
        return re.escape(text)
    return " +".join(re.escape(part) for part in re.split(r" +", text))


def _line_pattern(line: str, numeric: bool) -> str:
    parts, pos = [], 0
    for match in _TOKEN.finditer(line):
        parts.append(_literal(line[pos:match.start()], numeric))
        if match.group(1):
            parts.append(".*?")
        elif numeric:
            parts.append(f"({NUMBER})")
        else:
            parts.append(re.escape(match.group(2)))
        pos = match.end()
    parts.append(_literal(line[pos:], numeric))
    return "".join(parts)


def _expected_numbers(expected_lines: list[str]) -> list[float]:
    numbers = []
    for line in expected_lines:
        if line.strip() == "...":
            continue
        numbers += [float(m.group(2)) for m in _TOKEN.finditer(line) if m.group(2)]
    return numbers


def mismatch(expected: str, actual: str, tolerance: dict | None = None,
             ignore_whitespace: bool = False) -> str | None:
    """Return None when ``actual`` matches ``expected``, else a reason."""
    if ignore_whitespace:
        if re.sub(r"\s+", "", expected) == re.sub(r"\s+", "", actual):
            return None
        return "output differs (whitespace ignored)"
    exp_lines, act_lines = _normalise(expected), _normalise(actual)
    numeric = tolerance is not None
    pattern = "".join(
        r"(?:.*\n)*?" if line.strip() == "..." else _line_pattern(line, numeric) + r"\n"
        for line in exp_lines
    )
    match = re.fullmatch(pattern, "\n".join(act_lines) + "\n", flags=0)
    if match is None:
        return "output differs from the page"
    if not numeric:
        return None
    rel = float(tolerance.get("rel", 0.0))
    absolute = float(tolerance.get("abs", 0.0))
    wanted = _expected_numbers(exp_lines)
    got = [float(g) for g in match.groups()]
    problems = []
    for want, have in zip(wanted, got):
        allowed = max(absolute, rel * abs(want))
        if not math.isclose(want, have, rel_tol=0, abs_tol=allowed + 1e-12):
            problems.append(f"page says {want:g}, measured {have:g} (allowed ±{allowed:g})")
    if problems:
        return "numbers beyond tolerance: " + "; ".join(problems)
    return None

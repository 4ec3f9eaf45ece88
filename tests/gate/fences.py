"""Refuse fences that pytest-codeblocks would silently skip.

pytest-codeblocks collects a fence only when its info string is exactly ``python``,
``bash`` or ``sh``. A reader cannot tell ``py`` or ``python title="x.py"`` from a tested
block, so those fail the gate instead of going untested.
"""

from __future__ import annotations

import re

RUN = {"python", "bash", "sh"}
# Shown, never run: data and configuration the gate checks by other tests (schemas, nginx -t).
DATA = {"text", "json", "yaml", "toml", "ini", "textproto", "protobuf", "nginx", "dockerfile",
        "csv", "diff", "mermaid", "http"}

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")


def problems(expanded: str) -> list[str]:
    found, fence = [], None
    for number, line in enumerate(expanded.split("\n"), 1):
        match = _FENCE.match(line)
        if not match:
            continue
        marks, info = match.group(2), match.group(3).strip()
        if fence:
            if marks[0] == fence[0] and len(marks) >= len(fence) and not info:
                fence = None
            continue
        fence = marks
        lang = info.split()[0] if info else ""
        if info in RUN or lang in DATA:
            continue
        if lang.strip("{.") in RUN | {"py", "python3", "pycon", "shell", "console", "zsh", "ipython"}:
            found.append(f"line {number}: fence '{info}' would not be run; write a bare ```python or ```bash")
        else:
            found.append(f"line {number}: fence '{info or '(no language)'}' is neither run nor data "
                         f"(use one of {sorted(RUN)} to run it, or {sorted(DATA)} for data)")
    return found


_MARK = re.compile(r"^\s*<!--[-\s]*pytest\.mark\.")
_EXPECTED = re.compile(r"^\s*<!--[-\s]*pytest-codeblocks:expected-output")


def misplaced_marks(expanded: str) -> list[str]:
    """A pytest.mark comment between a block and its expected output silently lands on the
    *next* block (pytest-codeblocks keeps marks for the next fence it reads)."""
    found, pending, fence = [], None, None
    for number, line in enumerate(expanded.split("\n"), 1):
        match = _FENCE.match(line)
        if match:
            marks, info = match.group(2), match.group(3).strip()
            if fence:
                if marks[0] == fence[0] and len(marks) >= len(fence) and not info:
                    fence = None
            else:
                fence, pending = marks, None
            continue
        if fence:
            continue
        if _MARK.match(line):
            pending = number
        elif _EXPECTED.match(line) and pending:
            found.append(f"line {pending}: a marker between a block and its expected output applies to the "
                         f"next block; put it before the block it is for")
            pending = None
    return found

"""A page as a Jupyter notebook: its prose as Markdown cells, every block the gate runs as a
code cell, in page order, with the page's expected output as the cell's output.

The gate builds the notebook with this function and executes its code cells (tests/gate),
and the site's build writes the same notebook beside the page for readers to download,
so what a reader runs is what the gate ran.

Which fences become code cells follows pytest-codeblocks' extraction exactly: a fence whose
info string is ``python``, ``bash`` or ``sh``; a fence right after an
``<!--pytest-codeblocks:expected-output-->`` comment is the output of the code cell before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import nbformat
from nbformat import v4

RUNNABLE = {"python", "bash", "sh"}
EXPECTED = re.compile(r"<!--[-\s]*pytest-codeblocks:(expected-output(?:-ignore-whitespace)?)[-\s]*-->")
MARK = re.compile(r"<!--[-\s]*(pytest\.mark\..*?)[-\s]*-->")
FIGURE = re.compile(r"<!--\s*gate:figure\s+(\S+)\s+(.*?)\s*-->")
COMMENT = re.compile(r"<!--.*?-->", re.S)
SCRIPT = re.compile(r"""pytest\.mark\.script\(\s*["']([^"']+)["']\s*\)""")
ADMONITION = re.compile(r"^(\s*)(?:!!!|\?\?\?\+?)\s+\w+(?:\s+\"(.*)\")?\s*$")
TAB = re.compile(r"^(\s*)===\+?\s+\"(.*)\"\s*$")


@dataclass
class Cell:
    """One code cell of the notebook, as the gate runs it."""
    index: int                      # position in the notebook
    syntax: str                     # python, bash or sh, as on the page
    code: str                       # the block as the page shows it
    lineno: int                     # line of its opening fence in the expanded page
    marks: list[str] = field(default_factory=list)
    expected_output: str | None = None

    @property
    def script(self) -> str | None:
        """The path of a script(...) block: the notebook writes that file instead of running it."""
        for mark in self.marks:
            found = SCRIPT.fullmatch(mark)
            if found:
                return found.group(1)
        return None


def _fence(lines: list[str], start: int) -> tuple[str, int, int]:
    """(info string, first body line, closing line) of the fence opening at lines[start]."""
    opening = lines[start].lstrip()
    ticks = len(opening) - len(opening.lstrip("`~"))
    end = start + 1
    while end < len(lines) and not lines[end].lstrip().startswith(opening[:ticks]):
        end += 1
    return opening[ticks:].strip(), start + 1, end


def _dedent(body: list[str], indent: int) -> str:
    return "".join(line[min(indent, len(line) - len(line.lstrip())):] + "\n" for line in body)


def _markdown_for_notebook(text: str) -> str:
    """Material's admonitions and tabs as plain Markdown a notebook renders: a titled quote,
    a bold tab title, their indented bodies dedented."""
    out, depth = [], []  # depth: indents of the open admonitions/tabs and whether to quote
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip())
        while depth and line.strip() and indent < depth[-1][0] + 4:
            depth.pop()
        quote = "> " * sum(1 for _, quoted in depth if quoted)
        shift = 4 * len(depth)
        content = line[min(shift, indent):] if line.strip() else ""
        if match := ADMONITION.match(line):
            title = match.group(2) or ""
            out.append(f"{quote}> **{title}**" if title else f"{quote}>")
            depth.append((indent, True))
        elif match := TAB.match(line):
            out.append(f"{quote}**{match.group(2)}**")
            depth.append((indent, False))
        else:
            out.append(f"{quote}{content}".rstrip() if content or quote else "")
    return "\n".join(out)


def _markdown_cell(lines: list[str]) -> str | None:
    text = "\n".join(lines)
    text = FIGURE.sub(lambda m: f"*Figure: {m.group(2)} (drawn by the gate's run: see the page on the site).*", text)
    text = COMMENT.sub("", text)
    text = re.sub(r"\n{3,}", "\n\n", _markdown_for_notebook(text)).strip("\n")
    return text or None


# Run like a script, as the gate does: in a notebook TensorFlow's logger prints INFO lines on
# stdout (tf_logging.py, "If we are in an interactive environment (like Jupyter)"), which a
# page's outputs do not show. A configured root logger keeps TensorFlow's hands off.
SETUP = """\
# As the site's gate runs this notebook: warnings on stderr, no INFO lines among the outputs.
import logging
import sys

logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s:%(name)s:%(message)s")"""


def build(expanded: str) -> tuple[nbformat.NotebookNode, list[Cell]]:
    """The notebook of an expanded page, and its code cells in page order. Its first code
    cell (``metadata.gate_setup``) sets up the kernel as the gate runs it."""
    lines = expanded.split("\n")
    cells, code_cells, prose, marks = [], [], [], []
    awaiting_output = False
    cells.append(v4.new_code_cell(SETUP, metadata={"gate_setup": True, "tags": ["setup"]}))

    def flush_prose():
        text = _markdown_cell(prose)
        if text:
            cells.append(v4.new_markdown_cell(text))
        prose.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if EXPECTED.fullmatch(stripped):
            awaiting_output = True
            i += 1
            continue
        if (mark := MARK.fullmatch(stripped)) is not None:
            marks.append(mark.group(1))
            i += 1
            continue
        if stripped.startswith("```"):
            info, body_start, end = _fence(lines, i)
            indent = len(line) - len(line.lstrip())
            body = _dedent(lines[body_start:end], indent)
            if awaiting_output and code_cells:
                code_cells[-1].expected_output = body
                nb_cell = cells[code_cells[-1].index]
                nb_cell.outputs = [v4.new_output("stream", name="stdout", text=body)]
            elif info in RUNNABLE:
                flush_prose()
                cell = Cell(index=len(cells), syntax=info, code=body, lineno=i + 1, marks=marks)
                cells.append(v4.new_code_cell(_cell_source(cell), metadata={"tags": _tags(cell)}))
                code_cells.append(cell)
            else:
                prose.extend(lines[i:end + 1])
            marks, awaiting_output = [], False
            i = end + 1
            continue
        prose.append(line)  # as pytest-codeblocks: an awaited output is the next fence, whatever lies between
        i += 1
    flush_prose()
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    })
    return notebook, code_cells


def _cell_source(cell: Cell) -> str:
    code = cell.code.rstrip("\n")
    if cell.script:
        return f"%%writefile {cell.script}\n{code}"
    if cell.syntax in ("bash", "sh"):
        # As the gate runs a shell block: stop at the first failing command, also in a pipe.
        return f"%%bash\nset -eo pipefail\n{code}"
    return code


def _tags(cell: Cell) -> list[str]:
    return [re.sub(r"\W+", "-", mark).strip("-") for mark in cell.marks]


def write(notebook: nbformat.NotebookNode, path) -> None:
    nbformat.validate(notebook)
    nbformat.write(notebook, str(path))

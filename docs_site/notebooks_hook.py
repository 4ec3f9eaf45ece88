"""MkDocs hook: every page with code offers "Download notebook" and "View source", as
TensorFlow's guides do.

The notebook is the one the gate executes (docs_site/notebook.py): the page's prose as
Markdown cells, its blocks as code cells, the page's expected outputs (or, for a measured
block, the table the gate's run measured) as outputs. "View source" is a page of the site
itself showing the page's Markdown and its snippet folder: nothing is loaded from outside.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

from mkdocs.structure.files import File

# MkDocs loads a hook by its file path; the repository root makes docs_site importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from docs_site import notebook  # noqa: E402
from docs_site.expand import REPO, expand  # noqa: E402

from docs_site.verified_hook import ARTIFACTS  # noqa: E402  (GATE_ARTIFACTS, as the verified note reads it)
INCLUDE = re.compile(r'--8<--\s+"([^":]+)(?::[^"]*)?"')
MEASURED = re.compile(r"pytest\.mark\.measured\(\s*[\"']([^\"']+)")


def _sources(markdown: str) -> list[str]:
    """The files a page includes, and every file of the snippet folders they come from."""
    included = sorted(set(INCLUDE.findall(markdown)))
    folders = sorted({str(Path(path).parent) for path in included if path.startswith("snippets/")})
    files = set(included)
    for folder in folders:
        files |= {str(path.relative_to(REPO)) for path in sorted((REPO / folder).glob("*")) if path.is_file()}
    return sorted(f for f in files if (REPO / f).is_file())


def _title(raw: str, default: str) -> str:
    return next((line[2:].strip() for line in raw.split("\n") if line.startswith("# ")), default)


def page_notebook(page_path: Path) -> tuple:
    """The page's notebook as the site offers it: what the gate runs, with a first cell
    saying what the notebook needs, and measured blocks showing the gate run's table."""
    raw = page_path.read_text()
    nb, cells = notebook.build(expand(raw))
    nb.cells.insert(0, notebook.v4.new_markdown_cell(_preface(page_path, raw, cells)))
    for cell in cells:
        cell.index += 1
        measured = next((MEASURED.match(mark) for mark in cell.marks if MEASURED.match(mark)), None)
        if measured:
            table = ARTIFACTS / "measured" / page_path.stem / f"{measured.group(1)}.txt"
            if table.exists():
                nb.cells[cell.index].outputs = [notebook.v4.new_output("stream", name="stdout", text=table.read_text())]
    return nb, cells


def _preface(page_path: Path, raw: str, cells: list) -> str:
    needs = []
    if "pytest.mark.tf_serving" in raw:
        needs.append("a running TF Serving: run the `docker run` cell as shown where a Docker engine is "
                     "available; without one, start the project's TF-Serving-compatible server with the same "
                     "ports instead: `pip install .` in a clone of the repository, then "
                     "`python -m tfs_compat.launcher` in front of the `docker run` command, in a terminal of its own")
    code = "\n".join(c.code for c in cells)
    if re.search(r"(?<![\w/])(snippets|docker)/|\btfs_compat\b", code):
        needs.append("the repository's `snippets/`, `docker/` and `tfs_compat/` folders next to it: run it from "
                     "the root of a clone (`jupyter lab` there)")
    if "requires_nginx" in raw:
        needs.append("nginx (`apt-get install nginx`) for the blocks marked as needing it")
    need_text = "".join(f"\n- {need}" for need in needs) or "\n- nothing beyond the packages: it runs in any folder"
    return (f"*{_title(raw, page_path.stem)}*: this notebook is a page of **TensorFlow at scale, verified**, cell "
            f"for cell what the site's gate runs (`nox -s snippets`), with the page's outputs.\n\n"
            f"It needs Python 3.11 with the packages of the repository's `requirements/gate.in` at the "
            f"versions pinned in `requirements/constraints.txt`, and:{need_text}")


def _source_page(page_path: Path, sources: list[str], title: str) -> str:
    parts = [f"<h2><code>docs/{page_path.name}</code></h2><pre>{html.escape(page_path.read_text())}</pre>"]
    for source in sources:
        parts.append(f'<h2 id="{html.escape(source)}"><code>{html.escape(source)}</code></h2>'
                     f"<pre>{html.escape((REPO / source).read_text(errors='replace'))}</pre>")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Source of {html.escape(title)}"
            f"</title><style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto}}pre{{background:#f5f5f5;"
            f"padding:1rem;overflow:auto}}</style></head><body><h1>Source of {html.escape(title)}</h1>"
            f"<p>The page's Markdown and the snippet files it includes; the site's build expands the "
            f"<code>--8&lt;--</code> lines.</p>{''.join(parts)}</body></html>\n")


def on_files(files, config):
    for page_path in sorted(Path(config["docs_dir"]).glob("*.md")):
        nb, cells = page_notebook(page_path)
        if not cells:  # a page without code has no notebook
            continue
        notebook.nbformat.validate(nb)
        files.append(File.generated(config, f"notebooks/{page_path.stem}.ipynb",
                                    content=json.dumps(nb, indent=1, ensure_ascii=False) + "\n"))
        raw = page_path.read_text()
        files.append(File.generated(config, f"source/{page_path.stem}.html",
                                    content=_source_page(page_path, _sources(raw), _title(raw, page_path.stem))))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    stem = Path(page.file.src_path).stem
    if files.get_file_from_path(f"notebooks/{stem}.ipynb") is None:
        return markdown
    links = (f'[Download notebook](notebooks/{stem}.ipynb){{ .md-button download="{stem}.ipynb" }} '
             f"[View source](source/{stem}.html){{ .md-button }}")
    # Right under the page's title, as TensorFlow's guides place theirs.
    lines = markdown.split("\n")
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("# ")), 0)
    lines[at:at] = ["", links, ""]
    return "\n".join(lines)

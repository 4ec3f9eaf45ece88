"""Every page is a notebook the reader downloads: the one the gate runs, with the page's
outputs, and one of them runs to the end copied alone into an empty folder."""

from __future__ import annotations

import io
import os
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from pytest_codeblocks.main import extract_from_buffer

from docs_site import notebook
from docs_site.expand import REPO, expand, nav_pages
from docs_site.notebooks_hook import on_page_markdown, page_notebook

PAGES_WITH_CODE = [page for page in nav_pages() if notebook.build(expand(page.read_text()))[1]]
# A page whose blocks read no file of the repository: its notebook alone is all a reader needs.
STANDALONE = REPO / "docs" / "parallelism.md"


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=lambda page: page.stem)
def test_notebook_cells_are_the_blocks_the_gate_runs(page):
    expanded = expand(page.read_text())
    blocks = [b for b in extract_from_buffer(io.StringIO(expanded), max_num_lines=100_000)
              if b.syntax in ("python", "bash", "sh")]
    nb, cells = page_notebook(page)
    nbformat.validate(nb)
    assert [(c.code, c.expected_output) for c in cells] == [(b.code, b.expected_output) for b in blocks]
    for cell in cells:
        source = nb.cells[cell.index].source
        assert cell.code.rstrip("\n") in source, f"cell {cell.index} does not show the block as the page does"
        if cell.expected_output is not None:
            assert nb.cells[cell.index].outputs[0].text == cell.expected_output
    setup = [c for c in nb.cells if c.metadata.get("gate_setup")]
    assert len(setup) == 1 and nb.cells.index(setup[0]) < cells[0].index


def test_shell_blocks_stop_at_the_first_failing_command():
    nb, cells = notebook.build("```bash\nfalse\necho unreachable\n```\n")
    assert nb.cells[cells[0].index].source.startswith("%%bash\nset -eo pipefail\n")


def test_script_blocks_become_cells_that_write_their_file():
    page = '<!--pytest.mark.script("snippets/x/worker.py")-->\n\n```python\nprint(1)\n```\n'
    nb, cells = notebook.build(page)
    assert nb.cells[cells[0].index].source == "%%writefile snippets/x/worker.py\nprint(1)"


def test_output_marker_takes_the_next_fence_whatever_stands_between():
    page = ("```python\nprint(2)\n```\n\n<!--pytest-codeblocks:expected-output-->\n\n"
            '??? note "Output"\n\n    ```text\n    2\n    ```\n')
    nb, cells = notebook.build(page)
    assert cells[0].expected_output == "2\n"
    assert [c.cell_type for c in nb.cells] == ["code", "code", "markdown"]  # setup, block, the note's title


def test_every_page_with_code_links_its_notebook_and_source():
    class Files:
        def get_file_from_path(self, path):
            return object() if path == "notebooks/tflite.ipynb" else None

    class Page:
        class file:
            src_path = "tflite.md"

    shown = on_page_markdown("# TFLite\n\nText.\n", Page, None, Files())
    assert "[Download notebook](notebooks/tflite.ipynb)" in shown
    assert "[View source](source/tflite.html)" in shown
    assert shown.index("# TFLite") < shown.index("Download notebook") < shown.index("Text.")


@pytest.mark.slow
def test_a_downloaded_notebook_runs_alone_in_an_empty_folder(tmp_path):
    """What a reader does: save the notebook anywhere and run it, no repository around it."""
    folder = tmp_path / "reader"
    folder.mkdir()
    assert REPO not in folder.resolve().parents
    nb, cells = page_notebook(STANDALONE)
    path = folder / f"{STANDALONE.stem}.ipynb"
    nbformat.write(nb, str(path))
    assert [p.name for p in folder.iterdir()] == [path.name]
    downloaded = nbformat.read(str(path), as_version=4)
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DOCS_GATE"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    client = NotebookClient(downloaded, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)  # raises CellExecutionError, with the cell, if any cell fails
    ran = [c for c in downloaded.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in ran), "a cell did not run"
    errors = [o for c in ran for o in c.outputs if o.output_type == "error"]
    assert not errors
    shutil.rmtree(folder)

"""The site builds strictly, works offline, stays light, and shows every snippet it keeps."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from docs_site.expand import REPO, nav_pages
from docs_site.page_weight import MAX_PAGE_BYTES, html_pages, page_weights

SECTION = re.compile(r"--8<-- \[start:([a-z][-_0-9a-z]*)\]")
INCLUDE = re.compile(r'^\s*--8<-- "([^":]+)(?::([a-z][-_0-9a-z]*))?"', re.M)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                            cwd=REPO, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    return out


def test_every_nav_page_is_built(site):
    for page in nav_pages():
        stem = page.stem
        built = site / "index.html" if stem == "index" else site / stem / "index.html"
        assert built.exists(), f"{page} was not built"


def test_nothing_is_loaded_from_another_host(site):
    # Scripts, stylesheets, fonts and images must come from the site itself (links are fine).
    external = re.compile(r'<(?:script|img|iframe|source)[^>]+src="(?:https?:)?//'
                          r'|<link[^>]+href="(?:https?:)?//[^"]*"[^>]*>|fonts\.(?:googleapis|gstatic)\.com'
                          r'|googletagmanager|google-analytics')
    for page in html_pages(site):
        hits = [m.group(0)[:120] for m in external.finditer(page.read_text())
                if "rel=\"canonical\"" not in m.group(0)]
        assert not hits, f"{page.relative_to(site)} loads from another host: {hits}"
    for css in site.rglob("*.css"):
        assert "@import url(http" not in css.read_text(), css


def test_no_page_weighs_more_than_1_mb(site):
    weights = page_weights(site)
    heavy = {name: size for name, size in weights.items() if size > MAX_PAGE_BYTES}
    assert len(weights) >= len(nav_pages())
    assert not heavy, f"pages over 1 MB: {heavy}"


def test_every_snippet_file_and_section_is_shown_on_a_page():
    docs_text = "\n".join(p.read_text() for p in (REPO / "docs").rglob("*.md"))
    included = {(path, section) for path, section in INCLUDE.findall(docs_text)}
    whole_files = {path for path, section in included if not section}
    orphans = []
    for file in sorted((REPO / "snippets").rglob("*")):
        if not file.is_file() or "__pycache__" in file.parts:
            continue
        rel = str(file.relative_to(REPO))
        if rel in whole_files:
            continue
        sections = SECTION.findall(file.read_text(errors="replace"))
        if not sections:
            # A file run by path from a block (e.g. `python snippets/x/worker.py`) counts as shown
            # only if a page also shows it whole; a file nobody mentions is an orphan.
            if rel not in docs_text:
                orphans.append(rel)
            continue
        orphans += [f"{rel}:{s}" for s in sections if (rel, s) not in included]
    assert not orphans, f"snippets no page shows: {orphans}"

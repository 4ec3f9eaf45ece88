"""Say exactly where the Zensical build of the site differs from the MkDocs one.

Usage: python -m docs_site.compare_builds MKDOCS_SITE ZENSICAL_SITE
Counts, per page, what readers rely on: code blocks (and their text), content tabs,
admonitions, tables, headings, copy buttons, and any snippet directive left unexpanded.
Exit status 0: differences are reported, since the MkDocs build stays the published one.
"""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

FEATURES = {
    "code blocks": r"<pre[ >]",
    "content tabs": r'class="tabbed-set',
    "admonitions": r'<div class="admonition',
    "gate figures": r'<figure class="gate-figure',
    "verified notes": r'Verified by the gate|Not verified in this build',
    "tables": r"<table",
    "headings": r"<h[1-6][ >]",
    "images": r"<img ",
    "unexpanded --8<--": r"--8&lt;--|--8<--",
}


def _code_text(html: str) -> list[str]:
    blocks = re.findall(r"<pre[^>]*>(.*?)</pre>", html, flags=re.S)
    return [re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", b))).strip() for b in blocks]


def page_features(html: str) -> dict[str, int]:
    return {name: len(re.findall(pattern, html)) for name, pattern in FEATURES.items()}


def compare(mkdocs: Path, zensical: Path) -> list[str]:
    notes = []
    hooked = lambda html: "Verified by the gate" in html or "Not verified in this build" in html  # noqa: E731
    index_m, index_z = (mkdocs / "index.html").read_text(), (zensical / "index.html").read_text()
    if hooked(index_m) and not hooked(index_z):
        notes.append("Zensical does not run mkdocs.yml's `hooks:` (docs_site/verified_hook.py, docs_site/notebooks_hook.py): its pages lack "
                     "the 'Verified by the gate' note and the figures the gate's run drew; the counts below "
                     "that differ by these are that.")
    for page in sorted(mkdocs.rglob("index.html")):
        rel = page.relative_to(mkdocs)
        other = zensical / rel
        if not other.exists():
            notes.append(f"{rel}: missing from the Zensical build")
            continue
        a, b = page.read_text(), other.read_text()
        fa, fb = page_features(a), page_features(b)
        for name in FEATURES:
            if fa[name] != fb[name]:
                notes.append(f"{rel}: {name}: MkDocs {fa[name]}, Zensical {fb[name]}")
        if fa["code blocks"] == fb["code blocks"] and _code_text(a) != _code_text(b):
            notes.append(f"{rel}: code block text differs")
    return notes


def main() -> int:
    mkdocs, zensical = map(Path, sys.argv[1:3])
    notes = compare(mkdocs, zensical)
    if notes:
        print("Zensical differs from the published MkDocs build:")
        print("\n".join(f"  - {n}" for n in notes))
    else:
        print("Zensical renders every page with the same code blocks, tabs, admonitions, tables and headings.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

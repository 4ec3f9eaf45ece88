"""Expand a page exactly as the site does: same pymdownx.snippets options, read from mkdocs.yml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import markdown
from mkdocs.config import load_config

REPO = Path(__file__).resolve().parents[1]
CONFIG_FILE = REPO / "mkdocs.yml"


@lru_cache(maxsize=1)
def site_config():
    # load_config understands mkdocs.yml's !!python/name tags; yaml.safe_load does not.
    return load_config(str(CONFIG_FILE))


@lru_cache(maxsize=1)
def _snippets_options() -> dict:
    config = site_config()
    options = dict(config["mdx_configs"].get("pymdownx.snippets", {}))
    # mkdocs runs from the repo root, so relative base paths are relative to it.
    bases = options.get("base_path", ["."])
    bases = [bases] if isinstance(bases, str) else bases
    options["base_path"] = [str((REPO / base).resolve()) for base in bases]
    return options


def expand(text: str) -> str:
    """Return the page text with every --8<-- include replaced, as the site renders it."""
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"],
        extension_configs={"pymdownx.snippets": _snippets_options()},
    )
    lines = md.preprocessors["snippet"].run(text.split("\n"))
    return "\n".join(lines)


def nav_pages() -> list[Path]:
    """Every page in the site's navigation, in navigation order."""
    config = site_config()
    docs = Path(config["docs_dir"])
    found: list[Path] = []

    def walk(node):
        if isinstance(node, str):
            if node.endswith(".md"):
                found.append(docs / node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config["nav"])
    return found

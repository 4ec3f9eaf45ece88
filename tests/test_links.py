"""Links into a GitHub source tree are pinned: a release tag or a full commit SHA, never a branch.

A page that cites `blob/master/...` cites whatever that file says today, not what the page was
checked against; a branch such as `r2.21` moves too (patch releases land on it). So every link
to a file or folder on GitHub, in the pages and in the code they include, must name a tag
(`v2.21.0`, `2.20.0`, `v2.21.0-rc1`) or a 40-hex commit SHA.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# Where the reader meets links: the pages, the code they include, the README and docker/.
SCANNED = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md")),
           *sorted(p for p in (REPO / "snippets").rglob("*") if p.is_file()),
           *sorted(p for p in (REPO / "docker").rglob("*") if p.is_file())]

# github.com/<owner>/<repo>/(blob|tree|raw|blame|edit)/<ref>/... and raw.githubusercontent.com/<owner>/<repo>/<ref>/...
SOURCE_LINK = re.compile(
    r"https?://(?:(?:www\.)?github\.com/[\w.-]+/[\w.-]+/(?:blob|tree|raw|blame|edit)/(?P<ref>[^/\s)\"'<>#?]+)"
    r"|raw\.githubusercontent\.com/[\w.-]+/[\w.-]+/(?P<rawref>[^/\s)\"'<>#?]+))"
    r"[^\s)\"'<>]*")  # the rest of the link, up to where Markdown or HTML ends it
# A release tag: optional "v", two or more dot-separated numbers, optional pre-release suffix.
RELEASE_TAG = re.compile(r"v?\d+(?:\.\d+)+(?:[-.]?(?:rc|alpha|beta|a|b)\.?\d*)?")
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")


def unpinned_links(text: str) -> list[str]:
    """The GitHub source-tree links in `text` whose ref is neither a release tag nor a commit SHA."""
    bad = []
    for match in SOURCE_LINK.finditer(text):
        ref = match.group("ref") or match.group("rawref")
        if not (RELEASE_TAG.fullmatch(ref) or COMMIT_SHA.fullmatch(ref)):
            bad.append(match.group(0))
    return bad


def source_links(text: str) -> list[str]:
    return [match.group(0) for match in SOURCE_LINK.finditer(text)]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="ignore")  # a binary file has no links to check


def test_every_github_source_link_is_pinned():
    found = []
    for path in SCANNED:
        for number, line in enumerate(_read(path).splitlines(), start=1):
            found += [f"{path.relative_to(REPO)}:{number}: {link}" for link in unpinned_links(line)]
    assert not found, "links to a moving branch; pin them to a release tag or a commit:\n" + "\n".join(found)


def test_the_scan_reads_the_pages_links():
    # The check above is only as good as its scan: the pages do cite source files on GitHub.
    links = [link for path in SCANNED for link in source_links(_read(path))]
    assert len(links) >= 10, links


@pytest.mark.parametrize("link", [
    "https://github.com/tensorflow/tensorflow/blob/master/tensorflow/python/distribute/mirrored_strategy.py",
    "https://github.com/keras-team/keras/blob/main/keras/src/backend/jax/distribution_lib.py",
    "https://github.com/tensorflow/serving/tree/HEAD/tensorflow_serving",
    "https://github.com/org/project/blob/develop/README.md",
    "https://github.com/tensorflow/tensorflow/blob/r2.21/tensorflow/python/distribute/input_lib.py",
    "https://github.com/tensorflow/tensorflow/tree/nightly",
    "https://raw.githubusercontent.com/tensorflow/serving/master/tensorflow_serving/apis/predict.proto",
    "https://github.com/tensorflow/tensorflow/blob/3422977a/short_sha_is_ambiguous.py",
])
def test_the_check_flags_a_moving_ref(link):
    assert unpinned_links(f"see [the source]({link}).") == [link]


@pytest.mark.parametrize("link", [
    "https://github.com/tensorflow/tensorflow/blob/v2.21.0/tensorflow/python/distribute/mirrored_strategy.py",
    "https://github.com/tensorflow/serving/blob/2.20.0/tensorflow_serving/model_servers/main.cc",
    "https://github.com/keras-team/keras/blob/3422977a5e38fb2f7709aaa9a08e47f0c43d0f60/keras/src/backend/torch/distribution_lib.py",
    "https://github.com/tensorflow/tensorflow/tree/v2.21.0-rc1/tensorflow/python",
    "https://raw.githubusercontent.com/tensorflow/serving/2.20.0/tensorflow_serving/apis/predict.proto",
])
def test_the_check_accepts_a_tag_or_a_commit(link):
    assert unpinned_links(f"see [the source]({link}).") == []


@pytest.mark.parametrize("link", [
    "https://github.com/tensorflow/tensorflow/issues/42146",
    "https://github.com/keras-team/keras/pull/20585",
    "https://github.com/tensorflow/serving/releases/tag/2.20.0",
])
def test_the_check_leaves_issues_and_releases_alone(link):
    assert unpinned_links(link) == [] and source_links(link) == []

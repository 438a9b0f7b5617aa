"""The labelled pages beyond news (tests/data/beyondnews, scored by bench/beyondnews.py) load and say where they
come from: every id has its page and a label, every page has an id, every source's licence is named.

No extraction here: the slice is measured by hand (bench/beyondnews.py), not held to a figure.
"""

from __future__ import annotations

import gzip
import json
import re

from tests.utils import DATA

SLICE = DATA / "beyondnews"
TRUTH = json.loads((SLICE / "ground-truth.json").read_text(encoding="utf-8"))
KINDS = {"blog", "docs", "government", "ngo", "shop", "forum", "news", "other"}
# id prefix -> the source dataset as ground-truth.json's "source" names it, and its licence
SOURCES = {
    "wcxb-": ("wcxb", "CC-BY-4.0"),
    "moz-": ("mozilla/readability", "Apache-2.0"),
    "np4k-": ("newspaper4k", "MIT"),
}


def test_every_id_has_its_page_and_a_label() -> None:
    problems = []
    for key, item in TRUTH.items():
        path = SLICE / "html" / f"{key}.html.gz"
        if not path.is_file():
            problems.append(f"{key}: no {path.name}")
        elif b"<" not in gzip.decompress(path.read_bytes())[:4096]:
            problems.append(f"{key}: {path.name} is not HTML")
        if len(re.findall(r"\w+", item.get("articleBody", ""))) < 40:
            problems.append(f"{key}: label under 40 words")
        if not item.get("url", "").startswith("http"):
            problems.append(f"{key}: url {item.get('url')!r}")
        if item.get("kind") not in KINDS:
            problems.append(f"{key}: kind {item.get('kind')!r}")
        if not re.fullmatch(r"[a-z]{2,3}", item.get("lang", "")):
            problems.append(f"{key}: lang {item.get('lang')!r}")
        prefix = next((p for p in SOURCES if key.startswith(p)), None)
        if prefix is None or not item.get("source", "").startswith(SOURCES[prefix][0]):
            problems.append(f"{key}: source {item.get('source')!r} does not match its id")
    assert not problems, "\n".join(problems)


def test_every_page_has_an_id() -> None:
    stray = {path.name.removesuffix(".html.gz") for path in (SLICE / "html").iterdir()} - set(TRUTH)
    assert not stray, f"pages without a label: {sorted(stray)}"


def test_every_source_and_its_licence_are_named() -> None:
    licences = (SLICE / "LICENSES.md").read_text(encoding="utf-8")
    readme = (SLICE / "README.md").read_text(encoding="utf-8")
    for prefix, (source, licence) in SOURCES.items():
        assert f"`{prefix}*`" in licences and licence in licences, f"LICENSES.md does not name {source} ({licence})"
        assert source.split("/")[-1].lower() in readme.lower(), f"README.md does not say how {source} labelled"
    assert "Apache License" in (SLICE / "LICENSE-Apache-2.0").read_text(encoding="utf-8")
    assert "Permission is hereby granted" in licences  # MIT asks for its notice with every copy


def test_the_slice_stays_small() -> None:
    """It is committed: a few MB, not a crawl."""
    size = sum(path.stat().st_size for path in SLICE.rglob("*") if path.is_file())
    assert size < 6_500_000, f"{size / 1e6:.1f} MB"

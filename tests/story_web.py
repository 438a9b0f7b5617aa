"""The stories corpus (tests/data/stories) as a small web of outlets: its articles, originals and copies, and
the pages and feeds each outlet publishes (served by the ``outlets`` fixture of conftest.py)."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data" / "stories"
OUTLETS = yaml.safe_load((DATA / "outlets.yaml").read_text(encoding="utf-8"))
CASES = yaml.safe_load((DATA / "cases.yaml").read_text(encoding="utf-8"))
ARTICLES = CASES["articles"]
EXPECTED = [frozenset(s["articles"]) for s in CASES["stories"]]
COPIES = {key for key, a in ARTICLES.items() if "copy_of" in a}
ORIGINALS = set(ARTICLES) - COPIES


def title_and_body(key: str) -> tuple[str, list[str]]:
    """The headline and paragraphs an outlet published, applying what a republisher changed."""
    article = ARTICLES[key]
    if "body" in article:
        return article["title"], list(article["body"])
    title, body = title_and_body(article["copy_of"])
    if "cut" in article:
        words = sum(len(p.split()) for p in body)
        keep, cut = round(words * article["cut"]), []
        for paragraph in body:
            taken = paragraph.split()[:keep]
            if taken:
                cut.append(" ".join(taken))
            keep -= len(taken)
        body = cut
    if "source_line" in article:
        body = [article["source_line"], *body]
    return article.get("title", title), body


def path_of(key: str) -> str:
    outlet = ARTICLES[key]["outlet"]
    return f"/{outlet}/{OUTLETS[outlet]['path']}/{ARTICLES[key]['slug']}.html"


def render(root: Path, published: set[str]) -> None:
    """Write every outlet's index (feed or listing page) and the article pages it links to."""
    shutil.rmtree(root, ignore_errors=True)
    for outlet, spec in OUTLETS.items():
        folder = root / outlet
        (folder / spec["path"]).mkdir(parents=True)
        keys = sorted(k for k in published if ARTICLES[k]["outlet"] == outlet)
        for key in keys:
            title, body = title_and_body(key)
            page = spec["page"].replace("{{TITLE}}", html.escape(title)).replace("{{SLUG}}", ARTICLES[key]["slug"])
            page = page.replace("{{BODY}}", "".join(f"<p>{html.escape(p)}</p>\n" for p in body))
            (root / path_of(key).lstrip("/")).write_text(page, encoding="utf-8")
        items = [(title_and_body(k)[0], path_of(k)) for k in keys]
        if spec["index"] == "feed":
            entries = "".join(
                f"<item><title>{html.escape(t)}</title><link>{{{{BASE}}}}{p}</link><guid>{{{{BASE}}}}{p}</guid>"
                f"<pubDate>{{{{RFC822:-2h}}}}</pubDate><description>{html.escape(t)}.</description></item>\n"
                for t, p in items
            )
            index = f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{spec["name"]}</title>'
            (folder / "feed.xml").write_text(f"{index}\n{entries}</channel></rss>\n", encoding="utf-8")
        else:
            links = "".join(f'<li><h3><a href="{{{{BASE}}}}{p}">{html.escape(t)}</a></h3></li>\n' for t, p in items)
            page = (
                f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{spec["name"]}</title></head><body>'
                f'<nav><a href="/{outlet}/">Home</a> <a href="/{outlet}/contact">Contact</a></nav>'
                f'<main><h1>Latest</h1><ul class="latest">\n{links}</ul></main></body></html>\n'
            )
            (folder / "index.html").write_text(page, encoding="utf-8")


def key_of(url: str) -> str:
    return _KEYS[_path(url)]


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


_KEYS = {path_of(k): k for k in ARTICLES}


def explain(db_path: Path) -> str:
    """Each stored article (key, story, origin, characters) and each copy's likeness to its original, from
    their stored fingerprints, with the LSH bands they share (none: the lookup never compared them)."""
    import sqlite3

    from bot import stories

    rows = sqlite3.connect(db_path).execute(
        "SELECT a.url, a.story_id, a.origin, length(a.text), f.digest, f.shingles "
        "FROM articles a LEFT JOIN fingerprints f ON f.article_id = a.id"
    )
    lines, prints = [], {}
    for url, story, origin, chars, digest, shingles in rows:
        name = _KEYS.get(_path(url), url)  # a URL outside the corpus as it is
        prints[name] = stories.Fingerprint.from_blob(digest, shingles) if digest else None
        lines.append(f"{name}: story {story}, {origin}, {chars} chars, {shingles} shingles")
    for key in sorted(COPIES & prints.keys()):
        of = ARTICLES[key]["copy_of"]
        copy, original = prints[key], prints.get(of)
        if copy and original:
            bands = len(set(copy.band_keys()) & set(original.band_keys()))
            lines.append(f"{key} ~ {of}: {stories.similarity(copy, original)}, {bands} bands shared")
    return "\n".join(lines)

"""HTML pages: the article links of a listing page, and the article's own title, date and text.

One lxml parse serves the metadata (title, date, rel=canonical, language) and then the main text
(bot/extract/body.py), read in one of two ways. The caller's ``accurate`` sees the page's whole text first
(``page_text``) and says whether an alert may come from the page (bot/prefilter.py): only then is the main
text read by the three-reader ensemble; otherwise by our own rules alone, a fifth of the CPU (bench/README.md).
Listing pages keep our own chrome model (bot/extract/html.py): no library finds a listing's article links.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree

from bot.extract.body import cheap_text, main_text
from bot.extract.dates import parse_date
from bot.extract.html import BLOCK_TAGS, Element, first, inline_text, inside, metas, parse, strip_chrome
from bot.extract.lang import guess_lang
from bot.models import Entry
from bot.urls import canonical_url, same_site, trusted_canonical

_NOT_ARTICLE_PATH = re.compile(
    r"/(tag|tags|category|categories|cat|author|authors|page|section|sections|topic|topics|search|"
    r"login|logout|register|signup|subscribe|account|about|about-us|contact|contact-us|privacy|terms|"
    r"feed|rss|wp-admin|wp-login\.php|cart|shop|advertise|newsletter|video|videos|"
    r"gallery|photos|live|weather)(/|$|\.)|/archives?(/page/\d+)?/?$",
    re.IGNORECASE,
)
_FILE_EXT = re.compile(r"\.(jpe?g|png|gif|webp|svg|pdf|zip|mp3|mp4|xml|rss|atom|css|js|json)$", re.IGNORECASE)
_ARTICLE_PATH = re.compile(r"\d{3,}|[^/]+-[^/]+-[^/]+|\.(s?html?|php|aspx?)$|[?&](id|p|story|article)=")


@dataclass(slots=True)
class PageArticle:
    title: str
    text: str
    published: datetime | None
    canonical: str | None  # a trusted rel=canonical target, absolute
    lang: str | None
    accurate: bool = True  # read by the three-reader ensemble (else by our rules alone)


# ------------------------------------------------------------------------------------------ articles


def extract_article(markup: str, url: str, accurate: Callable[[str], bool] | None = None) -> PageArticle:
    """``accurate``: given the page's whole text, whether its main text must be read accurately (None: always)."""
    root = parse(markup)
    meta = metas(root)
    canonical = _canonical(root, url, meta)
    published = _published(root, meta)
    lang = _lang_attr(root)
    title = _title(root, meta)
    article = _declares_article(root, meta)
    precise = accurate is None or accurate(page_text(root, meta))
    if precise and accurate is not None:  # page_text marked the tree: the three readers get the page as it is
        root = parse(markup)
    text = main_text(root, markup, url, article) if precise else cheap_text(root, markup, url, article)
    if title and text.startswith(title):
        text = text[len(title) :].lstrip("\n")
    return PageArticle(title=title, text=text, published=published, canonical=canonical,
                       lang=lang or guess_lang(title + " " + text[:2000]), accurate=precise)  # fmt: skip


def page_text(root: Element, meta: dict[str, str]) -> str:
    """Every text of the page that a reader of its title and main text could return, and some it never does:
    the text of every element but scripts and styles (a line break at each block, as the readers cut them),
    the meta tags' values and the strings of its JSON-LD (articleBody, headline, description...).

    ``root`` keeps the line breaks (whitespace, which every reader folds) and loses its scripts' and styles'
    text: lxml's own serialiser then writes the text, at 0.46 ms a news-web page against 1.1 ms for a walk
    of the tree in Python (``block_text``)."""
    parts = list(meta.values())
    for script in root.iter("script", "style"):
        if _is_jsonld(script):
            parts.extend(_jsonld_strings(script.text or ""))
        script.text = None
    for block in root.iter(*BLOCK_TAGS):
        block.tail = "\n" + block.tail if block.tail else "\n"
        if block.tag not in _VOID:
            block.text = "\n" + block.text if block.text else "\n"
    parts.append(etree.tostring(root, method="text", encoding=str))
    return "\n".join(parts)


_VOID = frozenset({"br", "hr"})


def _canonical(root: Element, url: str, meta: dict[str, str]) -> str | None:
    href = next((link.get("href") or "" for link in root.iter("link") if _rel(link, "canonical")), "").strip()
    if not href:
        href = meta.get("og:url", "")
    return trusted_canonical(url, urljoin(url, href)) if href else None


def _rel(tag: Element, value: str) -> bool:
    return value in (tag.get("rel") or "").lower().split()


def _title(root: Element, meta: dict[str, str]) -> str:
    title = first(meta, "og:title", "twitter:title")
    if title:
        return re.sub(r"\s+", " ", title).strip()
    main = next(root.iter("article"), None)
    main = main if main is not None else next(root.iter("main"), root)
    h1 = next(main.iter("h1"), None)
    if h1 is not None and inline_text(h1):
        return inline_text(h1)
    head = next(root.iter("title"), None)
    if head is not None and head.text and len(head) == 0:
        # "Headline - Site name" / "Headline | Site": drop the site's part
        return re.split(r"\s+[|\-–—]\s+", head.text.strip())[0]
    return ""


_PUBLISHED = ("article:published_time", "og:published_time", "datePublished", "pubdate", "publish-date", "date",
              "dc.date", "DC.date.issued", "sailthru.date")  # fmt: skip


def _published(root: Element, meta: dict[str, str]) -> datetime | None:
    candidates = [first(meta, *_PUBLISHED)]
    for script in root.iter("script"):
        if _is_jsonld(script):
            candidates.append(_jsonld_date(script.text or ""))
    time_tag = next((t for t in root.iter("time") if t.get("datetime") is not None), None)
    if time_tag is not None:
        candidates.append(time_tag.get("datetime"))
    for value in candidates:
        date = parse_date(value)
        if date:
            return date
    return None


_ARTICLE_TYPE = re.compile(r'"@type"\s*:\s*\[?\s*"(?:\w*NewsArticle|Article|BlogPosting|Report|ReportageNews)"')


def _declares_article(root: Element, meta: dict[str, str]) -> bool:
    """og:type article, a JSON-LD article type, a publication date (meta or <time datetime>) or an <article>
    element: 174 of the 181 real news pages, 123 of the 181 beyond news. The other pages are read for recall
    (bot/extract/body.py); a news site's page without any of these is rare, and its "read also" lines are
    what a reading for recall would keep."""
    if meta.get("og:type", "").strip().lower() == "article" or first(meta, *_PUBLISHED) is not None:
        return True
    if next(root.iter("article"), None) is not None or any(tag.get("datetime") for tag in root.iter("time")):
        return True
    return any(_ARTICLE_TYPE.search(script.text or "") for script in root.iter("script") if _is_jsonld(script))


def _is_jsonld(script: Element) -> bool:
    return (script.get("type") or "").strip().lower() == "application/ld+json"


def _jsonld_strings(text: str) -> list[str]:
    try:
        stack = [json.loads(text)]
    except ValueError:
        return [text]  # broken JSON-LD: its raw text, rather than nothing
    found = []
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def _jsonld_date(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            if isinstance(item.get("datePublished"), str):
                return item["datePublished"]
            stack.extend(v for v in item.values() if isinstance(v, list | dict))
    return None


def _lang_attr(root: Element) -> str | None:
    lang = (root.get("lang") or "").strip().lower()
    return lang.split("-")[0] or None if lang else None


# ------------------------------------------------------------------------------------------ listings


def listing_links(markup: str, url: str, selector: str | None = None) -> list[Entry]:
    """The article links of a listing page, in page order, one per canonical URL."""
    root = parse(markup)
    base = _base_href(root, url)
    if selector:
        anchors = []
        for tag in root.cssselect(selector):
            anchors.extend([tag] if tag.tag == "a" else tag.iter("a"))
        candidates = [(a, _link_title(a)) for a in anchors if a.get("href")]
    else:
        strip_chrome(root, keep_article_parts=True)
        anchors = [a for a in root.iter("a") if a.get("href") is not None and _looks_like_article(a)]
        candidates = [(a, _link_title(a)) for a in anchors]
    page = canonical_url(url)
    entries: dict[str, Entry] = {}
    for anchor, title in candidates:
        href = urljoin(base, anchor.get("href").strip())
        if not href.startswith(("http://", "https://")) or (not selector and not same_site(href, url)):
            continue
        if not selector and (_NOT_ARTICLE_PATH.search(urlsplit(href).path) or _FILE_EXT.search(href)):
            continue
        key = canonical_url(href)
        if key == page:
            continue
        known = entries.get(key)
        if known is None:
            entries[key] = Entry(url=href, title=title)
        elif len(title) > len(known.title):
            known.title = title
    return list(entries.values())


def _base_href(root: Element, url: str) -> str:
    base = next((b.get("href") for b in root.iter("base") if b.get("href")), None)
    return urljoin(url, base) if base else url


def _link_title(anchor: Element) -> str:
    text = inline_text(anchor)
    return text or (anchor.get("title") or "").strip()


def _looks_like_article(anchor: Element) -> bool:
    """Heuristic for listing pages without a selector: a headline-like text on an article-like URL."""
    text = _link_title(anchor)
    words = len(text.split())
    if words < 3 and len(text) < 20:
        return False
    href = anchor.get("href")
    in_heading = inside(anchor, "h1", "h2", "h3", "h4")
    in_teaser = inside(anchor, "article")
    article_url = bool(_ARTICLE_PATH.search(href))
    return article_url or in_heading or (in_teaser and words >= 4)

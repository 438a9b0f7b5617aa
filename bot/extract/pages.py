"""HTML pages: the article links of a listing page, and the article's own title and text.

Measured against trafilatura (bench/extract.py, bench/README.md): both keep every body paragraph and
no keyword-bearing chrome on our fixtures; trafilatura was faster (7-12 ms vs ~20 ms a page). We keep
these rules because the listing-page heuristics need the same chrome model, and the parser under them
is what the speed work (issue 6) replaces; bench/extract.py keeps the comparison honest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from bot.dedupe import canonical_url, same_site, trusted_canonical
from bot.extract.dates import parse_date
from bot.extract.html import block_text, first, inline_text, metas, parse, strip_chrome
from bot.models import Entry

# Containers that hold the article body in common CMSs (WordPress themes, Drupal, news platforms).
_BODY_SELECTORS = (
    "[itemprop=articleBody]", ".entry-content", ".post-content", ".article-body", ".article-content",
    ".article__body", ".story-body", ".post-body", ".td-post-content", ".single-content",
    ".field-name-body", ".content-body", "#article-body", ".news-content", ".news-body", ".article-text",
    ".text-body",
)  # fmt: skip
_BODY_SELECTOR = ", ".join(_BODY_SELECTORS)
_MIN_BODY = 120  # characters: below this a candidate container is a teaser, not a body

_NOT_ARTICLE_PATH = re.compile(
    r"/(tag|tags|category|categories|cat|author|authors|page|section|sections|topic|topics|search|"
    r"login|logout|register|signup|subscribe|account|about|about-us|contact|contact-us|privacy|terms|"
    r"feed|rss|wp-admin|wp-login\.php|cart|shop|advertise|newsletter|video|videos|"
    r"gallery|photos|live|weather)(/|$|\.)|/archives?(/page/\d+)?/?$",
    re.IGNORECASE,
)
_FILE_EXT = re.compile(r"\.(jpe?g|png|gif|webp|svg|pdf|zip|mp3|mp4|xml|rss|atom|css|js|json)$", re.IGNORECASE)
_ARTICLE_PATH = re.compile(r"\d{3,}|[^/]+-[^/]+-[^/]+|\.(s?html?|php|aspx?)$|[?&](id|p|story|article)=")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(slots=True)
class PageArticle:
    title: str
    text: str
    published: datetime | None
    canonical: str | None  # a trusted rel=canonical target, absolute
    lang: str | None


# ------------------------------------------------------------------------------------------ articles


def extract_article(markup: str, url: str) -> PageArticle:
    soup = parse(markup)
    meta = metas(soup)
    canonical = _canonical(soup, url, meta)
    published = _published(soup, meta)
    lang = _lang_attr(soup)
    title = _title(soup, meta)
    strip_chrome(soup)
    root = _body_root(soup)
    if not title:
        h1 = root.find("h1") if root else None
        title = inline_text(h1) if h1 else ""
    text = block_text(root) if root else ""
    if title and text.startswith(title):
        text = text[len(title) :].lstrip("\n")
    return PageArticle(title=title, text=text, published=published, canonical=canonical,
                       lang=lang or guess_lang(title + " " + text[:2000]))  # fmt: skip


def _canonical(soup: BeautifulSoup, url: str, meta: dict[str, str]) -> str | None:
    link = soup.find("link", rel=lambda r: r and "canonical" in ([r] if isinstance(r, str) else r))
    href = str(link.get("href") or "").strip() if link else ""
    if not href:
        href = meta.get("og:url", "")
    return trusted_canonical(url, urljoin(url, href)) if href else None


def _title(soup: BeautifulSoup, meta: dict[str, str]) -> str:
    title = first(meta, "og:title", "twitter:title")
    if title:
        return re.sub(r"\s+", " ", title).strip()
    main = soup.find("article") or soup.find("main") or soup
    h1 = main.find("h1") if main else None
    if h1 and inline_text(h1):
        return inline_text(h1)
    if soup.title and soup.title.string:
        # "Headline - Site name" / "Headline | Site": drop the site's part
        return re.split(r"\s+[|\-–—]\s+", soup.title.string.strip())[0]
    return ""


def _published(soup: BeautifulSoup, meta: dict[str, str]) -> datetime | None:
    candidates = [
        first(meta, "article:published_time", "og:published_time", "datePublished", "pubdate",
              "publish-date", "date", "dc.date", "DC.date.issued", "sailthru.date"),
    ]  # fmt: skip
    for script in soup.find_all("script", type="application/ld+json"):
        candidates.append(_jsonld_date(script.string or ""))
    time_tag = soup.find("time", datetime=True)
    if time_tag:
        candidates.append(str(time_tag["datetime"]))
    for value in candidates:
        date = parse_date(value)
        if date:
            return date
    return None


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


def _lang_attr(soup: BeautifulSoup) -> str | None:
    html = soup.find("html")
    lang = str(html.get("lang") or "").strip().lower() if html else ""
    return lang.split("-")[0] or None if lang else None


def guess_lang(text: str) -> str | None:
    arabic, latin = len(_ARABIC.findall(text)), len(_LATIN.findall(text))
    if not arabic and not latin:
        return None
    return "ar" if arabic >= latin else "en"


def _body_root(soup: BeautifulSoup) -> Tag | None:
    """The element that holds the article's own text."""
    matched = soup.select(_BODY_SELECTOR)  # one tree walk; then the selectors' order decides
    for selector in _BODY_SELECTORS:
        found = [t for t in matched if t.css.match(selector) and len(t.get_text(strip=True)) >= _MIN_BODY]
        if len(found) == 1:
            return found[0]
    articles = [t for t in soup.find_all("article") if len(t.get_text(strip=True)) >= _MIN_BODY]
    if len(articles) == 1:
        return articles[0]
    return _densest(soup) or soup.find("main") or soup.body or soup


def _densest(soup: BeautifulSoup) -> Tag | None:
    """Readability's core idea: the container whose paragraphs carry the most text."""
    scores: dict[int, float] = {}
    tags: dict[int, Tag] = {}
    for p in soup.find_all(["p", "pre", "blockquote"]):
        length = len(p.get_text(strip=True))
        if length < 25:
            continue
        weight = length + 10 * p.get_text().count(",") + 10 * p.get_text().count("،")
        for parent, share in ((p.parent, 1.0), (p.parent.parent if p.parent else None, 0.5)):
            if isinstance(parent, Tag):
                scores[id(parent)] = scores.get(id(parent), 0.0) + weight * share
                tags[id(parent)] = parent
    if not scores:
        return None
    return tags[max(scores, key=scores.__getitem__)]


# ------------------------------------------------------------------------------------------ listings


def listing_links(markup: str, url: str, selector: str | None = None) -> list[Entry]:
    """The article links of a listing page, in page order, one per canonical URL."""
    soup = parse(markup)
    base = _base_href(soup, url)
    if selector:
        anchors = []
        for tag in soup.select(selector):
            anchors.extend([tag] if tag.name == "a" else tag.find_all("a", href=True))
        candidates = [(a, _link_title(a)) for a in anchors if a.get("href")]
    else:
        strip_chrome(soup, keep_article_parts=True)
        candidates = [(a, _link_title(a)) for a in soup.find_all("a", href=True) if _looks_like_article(a)]
    page = canonical_url(url)
    entries: dict[str, Entry] = {}
    for anchor, title in candidates:
        href = urljoin(base, str(anchor["href"]).strip())
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


def _base_href(soup: BeautifulSoup, url: str) -> str:
    base = soup.find("base", href=True)
    return urljoin(url, str(base["href"])) if base else url


def _link_title(anchor: Tag) -> str:
    text = inline_text(anchor)
    return text or str(anchor.get("title") or "").strip()


def _looks_like_article(anchor: Tag) -> bool:
    """Heuristic for listing pages without a selector: a headline-like text on an article-like URL."""
    text = _link_title(anchor)
    words = len(text.split())
    if words < 3 and len(text) < 20:
        return False
    href = str(anchor["href"])
    in_heading = anchor.find_parent(["h1", "h2", "h3", "h4"]) is not None
    in_teaser = anchor.find_parent("article") is not None
    article_url = bool(_ARTICLE_PATH.search(href))
    return article_url or in_heading or (in_teaser and words >= 4)

"""RSS 0.9x/1.0/2.0 and Atom feeds, through feedparser (it knows two decades of broken feeds).

A feed that parses partly (cut off, one bad entity) still yields the entries before the damage; the
damage is reported as a warning. A body with no entries at all is an ExtractError naming the cause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import feedparser

from bot.errors import ExtractError
from bot.extract.dates import from_struct
from bot.extract.html import block_text, parse
from bot.models import Entry

# A feed item whose content is at least this long (and longer than its summary) is taken as the full text.
FULL_CONTENT_CHARS = 500


@dataclass(slots=True)
class ParsedFeed:
    title: str
    entries: list[Entry]
    warning: str | None = None


def parse_feed(content: bytes, url: str, content_type: str = "", charset: str | None = None) -> ParsedFeed:
    if not content.strip():
        raise ExtractError("empty response body, expected a feed")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type + (f"; charset={charset}" if charset else "")
    parsed = feedparser.parse(content, response_headers=headers, sanitize_html=False)
    entries = [entry for entry in (_entry(item, url) for item in parsed.entries) if entry is not None]
    problem = _problem(parsed) if parsed.get("bozo") and not _benign(parsed.get("bozo_exception")) else None
    if not entries:
        head = content[:1024].lstrip().lower()
        if b"<html" in head or b"<!doctype html" in head:
            title = re.search(rb"<title[^>]*>([^<]{1,80})", content[:4096], re.IGNORECASE)
            seen = f' ("{title.group(1).decode("utf-8", "replace").strip()}")' if title else ""
            raise ExtractError(f"expected RSS or Atom, got an HTML page{seen}")
        if problem:
            raise ExtractError(f"not a valid feed: {problem}")
        if parsed.get("version"):
            return ParsedFeed(title=parsed.feed.get("title", ""), entries=[])
        raise ExtractError("expected RSS or Atom, got something else")
    warning = f"feed is damaged, read {len(entries)} entries before: {problem}" if problem else None
    return ParsedFeed(title=parsed.feed.get("title", ""), entries=entries, warning=warning)


def _benign(exc: Exception | None) -> bool:
    """feedparser flags a wrong or missing Content-Type as "bozo" too; the feed itself is fine."""
    return isinstance(exc, feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType)


def _problem(parsed) -> str:
    exc = parsed.get("bozo_exception")
    text = str(exc).splitlines()[0] if exc else "malformed"
    return text[:200]


def _entry(item, feed_url: str) -> Entry | None:
    link = _link(item)
    if not link:
        return None
    summary = _text(item.get("summary", ""))
    content = ""
    for block in item.get("content", []) or []:
        value = _text(block.get("value", ""))
        if len(value) > len(content):
            content = value
    if len(content) < FULL_CONTENT_CHARS or len(content) <= len(summary):
        content = ""
    published = from_struct(item.get("published_parsed") or item.get("updated_parsed"))
    title = _text(item.get("title", "")).replace("\n", " ")
    return Entry(url=link, title=title, summary=summary, content=content, published=published)


def _link(item) -> str | None:
    for link in item.get("links", []) or []:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link["href"]
    if item.get("link"):
        return item["link"]
    guid = item.get("id") or ""
    if guid.startswith(("http://", "https://")) and item.get("guidislink", True):
        return guid
    return None


def _text(value: str) -> str:
    if not value:
        return ""
    if "<" not in value and "&" not in value:
        return value.strip()
    return block_text(parse(f"<div>{value}</div>"))

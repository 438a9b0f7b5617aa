"""The records that flow between the stages: Entry -> Article -> Match -> Alert."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Entry:
    """One item a source lists: a feed entry or a link on a listing page, before its page is read."""

    url: str
    title: str = ""
    summary: str = ""
    content: str = ""  # full text when the feed carries it (content:encoded, Atom content)
    published: datetime | None = None


@dataclass(slots=True)
class Article:
    """The one record that flows from extract to store."""

    source: str
    url: str
    canonical_url: str
    title: str
    text: str
    published: datetime | None = None
    lang: str | None = None
    aliases: list[str] = field(default_factory=list)  # other normalised URLs of the same article


@dataclass(slots=True, frozen=True)
class Match:
    """Which keyword group fired, on which configured term, and the exact text found (for highlighting)."""

    keyword: str
    term: str
    found: str
    start: int
    end: int


@dataclass(slots=True)
class Alert:
    """A new matching article, as stored in the outbox and shown to users."""

    id: int
    article_id: int
    url: str
    title: str
    source: str
    published: datetime | None
    keywords: list[str]
    snippet: str
    matches: list[Match] = field(default_factory=list)
    story_id: int | None = None
    also: list[dict] = field(default_factory=list)  # other outlets of the story: source, url, seen

    def to_json(self) -> dict:
        return {
            "url": self.url,
            "title": self.title,
            "source": self.source,
            "published": self.published.isoformat() if self.published else None,
            "keywords": self.keywords,
            "snippet": self.snippet,
            "matched": [
                {"keyword": k, "term": t, "found": f}
                for k, t, f in dict.fromkeys((m.keyword, m.term, m.found) for m in self.matches)
            ],
            "alert_id": self.id,
            "story": self.story_id,
            "also": self.also,
        }

"""The records that flow between the stages: Entry -> Article -> Match -> Alert, and a poll's PollResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True, frozen=True)
class Forwarded:
    """Where a forwarded Telegram message came from: the name its header shows, and the link to the original
    (none when the sender hides it)."""

    name: str
    url: str | None = None

    def to_json(self) -> dict:
        return {"name": self.name, "url": self.url}


@dataclass(slots=True)
class Entry:
    """One item a source lists: a feed entry or a link on a listing page, before its page is read."""

    url: str
    title: str = ""
    summary: str = ""
    content: str = ""  # full text when the feed carries it (content:encoded, Atom content)
    published: datetime | None = None
    forwarded: Forwarded | None = None  # a Telegram message forwarded from another channel


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
    forwarded: Forwarded | None = None  # its origin, when it is a Telegram message forwarded from elsewhere


@dataclass(slots=True, frozen=True)
class Group:
    """A keyword group as the matcher reads it. The config's model is pydantic; this plain copy is what the
    worker processes receive, so that they never load pydantic and the config module (~18 MB each)."""

    name: str
    terms: tuple[str, ...]
    exact: bool = False
    require: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(slots=True, frozen=True)
class Match:
    """Which keyword group fired, on which configured term, and the exact text found (for highlighting)."""

    keyword: str
    term: str
    found: str
    start: int
    end: int


@dataclass(slots=True, frozen=True)
class Snippet:
    """An alert's snippet: text around the first match, and where in it the spelling that fired sits (``mark``:
    start and end offsets, for the renderers to highlight it without looking for it again)."""

    text: str = ""
    mark: tuple[int, int] | None = None


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
    forwarded: Forwarded | None = None  # a Telegram message's origin
    mark: tuple[int, int] | None = None  # where in ``snippet`` the spelling that fired sits

    def to_json(self) -> dict:
        record = {
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
        if self.forwarded is not None:
            record["forwarded_from"] = self.forwarded.to_json()
        return record


@dataclass(slots=True)
class PollResult:
    """What one poll of one source did: ``wirewatch check`` prints it, ``run`` schedules and counts by it."""

    source: str
    url: str
    not_modified: bool = False
    entries: int = 0
    new_articles: int = 0
    alerts: list[Alert] = field(default_factory=list)
    joined: list[tuple[int, str, str]] = field(default_factory=list)  # (story, source, url): republications
    updated: int = 0
    error: str | None = None
    error_kind: str | None = None  # FetchError.kind, "parse" (ExtractError) or "other"
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    retry_after: float | None = None  # the site asked to be left alone this long (429/503 Retry-After)
    newest_message: int | None = None  # a Telegram channel: the newest message id read, saved after its articles
    status: int | None = None  # the source's HTTP status
    size: int = 0  # bytes of the source's response
    requests: int = 0  # made for this poll: the source, its article pages, a channel's older pages
    matched: int = 0  # new or changed articles in which a keyword group matched
    fresh_for: float | None = None  # the source's Cache-Control max-age / Expires, in seconds (bot/schedule.py)

    def summary(self) -> str:
        """What the poll did, in one line (``-v``)."""
        if self.error:
            done = f"failed: {self.error}"
        elif self.not_modified:
            done = "not modified (304)"
        else:
            done = (f"HTTP {self.status}, {self.size / 1000:.0f} KB, {self.entries} entries, {self.new_articles} new"
                    f"{f', {self.updated} changed' if self.updated else ''}, {self.matched} matching, "
                    f"{len(self.alerts)} alert{'s' if len(self.alerts) != 1 else ''}")  # fmt: skip
        return (
            f"{self.source}: {done}; {self.requests} request{'s' if self.requests != 1 else ''}, {self.seconds:.2f} s"
        )

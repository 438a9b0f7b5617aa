"""Articles, their URLs, stories, matches and alerts: what the poll's writer stores.

Articles are keyed by canonical URL; every other spelling of an article's URL is kept in ``article_urls`` so
that a link seen again (in another feed, on a listing page, behind new tracking parameters) is recognised
without fetching it. Near-duplicate articles share a story (``bot.stories``), found through the indexed LSH
band table. An alert is a row in the outbox, written in the same transaction as its article, one per story
and keyword group, so that a crash between storing and delivering never loses it and a republication never
repeats it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot import stories
from bot.models import Alert, Article, Forwarded, Match, Snippet
from bot.store.times import from_iso, iso, utcnow


@dataclass(slots=True)
class Stored:
    """What storing one article did."""

    article_id: int
    story_id: int | None
    alert: Alert | None = None
    joined: bool = False  # the article joined an existing story (a republication)
    new: bool = True  # False: its canonical URL was already stored


def content_hash(title: str, text: str) -> str:
    return hashlib.blake2b(f"{title}\n{text}".encode(), digest_size=12).hexdigest()


def save_fingerprint(db, article_id: int, fingerprint: stories.Fingerprint) -> None:
    db.execute(
        "INSERT OR REPLACE INTO fingerprints (article_id, digest, shingles) VALUES (?, ?, ?)",
        [article_id, fingerprint.to_blob(), fingerprint.shingles],
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO story_bands (key, article_id) VALUES (?, ?)",
        [(key, article_id) for key in fingerprint.band_keys()],
    )


def band_rows(prints: Iterable[tuple[int, bytes, int]]) -> list[tuple[int, int]]:
    """The band index's (key, article_id) rows of stored fingerprints, given as (article_id, digest, shingles)
    rows of their table: what retention deletes by primary key and schema 10 rebuilds."""
    return [(key, article_id) for article_id, digest, shingles in prints
            for key in stories.Fingerprint.from_blob(digest, shingles).band_keys()]  # fmt: skip


class ArticleRows:
    """The Store's methods on articles and what hangs on them."""

    db: Any  # sqlite-utils' Database, or the plain reader of bot/store/db.py

    def known(self, urls: Iterable[str]) -> int | None:
        """The id of the article that any of these (canonical) URLs belongs to."""
        for url in urls:
            row = self.db.execute("SELECT article_id FROM article_urls WHERE url = ?", [url]).fetchone()
            if row:
                return int(row[0])
        return None

    def mark_gone(self, url: str, reason: str) -> None:
        """A link that answered 404/410: remembered so that it is not fetched again every cycle."""
        self.db.execute(
            "INSERT OR IGNORE INTO gone_urls (url, reason, seen) VALUES (?, ?, ?)", [url, reason, iso(utcnow())]
        )

    def is_gone(self, url: str) -> bool:
        return self.db.execute("SELECT 1 FROM gone_urls WHERE url = ?", [url]).fetchone() is not None

    def add_alias(self, article_id: int, url: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article_id])

    def add_article(
        self,
        article: Article,
        matches: list[Match],
        fresh: bool,
        snippet: Snippet | None = None,
        origin: str = "page",
        *,
        fingerprint: stories.Fingerprint | None,
        keys: str = "",
    ) -> Stored:
        """Store a new article in its story, and its alert for any keyword group the story has not alerted
        yet. Call inside ``transaction()``; the alert is written in the same transaction as the article.
        ``fingerprint``: ``stories.fingerprint(article.text)``, computed by the caller (in a worker process,
        off the writer thread); None for a text too short to tell a story by, which then starts its own.
        ``keys``: the text's loose key stream, for search (bot/store/queries.py); none: its text alone."""
        existing = self.known([article.canonical_url, *article.aliases])
        if existing is not None:
            for url in (article.canonical_url, *article.aliases):
                self.add_alias(existing, url)
            return Stored(existing, None, new=False)
        now = iso(utcnow())
        story_id = self._similar_story(fingerprint) if fingerprint else None
        report = None
        if story_id is None and fresh and matches:  # an alert to be: is it an event reported in another language?
            from bot.store import reports  # with the gazetteer, at the first alert only: a cycle without one skips it

            report = reports.report_of(0, 0, article.title, article.text, article.published)
            story_id = reports.same_event(self, report, {m.keyword for m in matches}) if report else None
        joined = story_id is not None
        if joined:
            self.db.execute("UPDATE stories SET members = members + 1, last_seen = ? WHERE id = ?", [now, story_id])
        else:  # the story first, so that the article row is written once (an UPDATE re-indexes its text)
            story_id = self.db.execute(
                "INSERT INTO stories (title, first_source, created, last_seen) VALUES (?, ?, ?, ?)",
                [article.title, article.source, now, now],
            ).lastrowid
        forwarded = article.forwarded
        article_id = self.db.execute(
            "INSERT INTO articles (url, canonical_url, source, title, published, text, lang, first_seen, "
            "story_id, content_hash, origin, forwarded_from, forwarded_url) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [article.url, article.canonical_url, article.source, article.title, iso(article.published),
             article.text, article.lang, now, story_id, content_hash(article.title, article.text), origin,
             forwarded.name if forwarded else None, forwarded.url if forwarded else None],
        ).lastrowid  # fmt: skip
        if not joined:
            self.db.execute("UPDATE stories SET first_article = ? WHERE id = ?", [article_id, story_id])
        for url in {article.canonical_url, *article.aliases}:
            self.add_alias(article_id, url)
        if fingerprint is not None:
            save_fingerprint(self.db, article_id, fingerprint)
        if keys:
            self.db.execute("INSERT INTO article_keys_text (article_id, keys) VALUES (?, ?)", [article_id, keys])
        self._save_matches(article_id, matches)
        alert = self._alert(article_id, story_id, article, matches, snippet or Snippet()) if fresh else None
        if alert is not None and report is not None and not joined:
            from bot.store import reports

            reports.recent(self).add(replace(report, article_id=article_id, story_id=story_id))
        return Stored(article_id, story_id, alert, joined)

    def changed(self, article_id: int, title: str, text: str) -> bool:
        """Whether a feed's full-text entry (or a Telegram message, edited) differs from the stored copy (only
        for text that came from a feed or a channel, not from a page fetched for it)."""
        row = self.db.execute("SELECT content_hash, origin FROM articles WHERE id = ?", [article_id]).fetchone()
        return bool(row) and row[1] in ("feed", "telegram") and row[0] != content_hash(title, text)

    def update_article(
        self,
        article_id: int,
        title: str,
        text: str,
        matches: list[Match],
        fresh: bool,
        snippet: Snippet | None = None,
        keys: str = "",
    ) -> Alert | None:
        """A changed article keeps its story; it alerts only for a group its story has not alerted yet."""
        self.db.execute(
            "UPDATE articles SET title = ?, text = ?, content_hash = ? WHERE id = ?",
            [title, text, content_hash(title, text), article_id],
        )
        self.db.execute("DELETE FROM matches WHERE article_id = ?", [article_id])
        self._save_matches(article_id, matches)
        if keys:
            self.save_keys([(article_id, keys)])
        row = self.db.execute(
            "SELECT url, canonical_url, source, published, lang, story_id, forwarded_from, forwarded_url "
            "FROM articles WHERE id = ?",
            [article_id],
        ).fetchone()
        article = Article(source=row[2], url=row[0], canonical_url=row[1], title=title, text=text,
                          published=from_iso(row[3]), lang=row[4],
                          forwarded=Forwarded(row[6], row[7]) if row[6] else None)  # fmt: skip
        return self._alert(article_id, row[5], article, matches, snippet or Snippet()) if fresh else None

    def _similar_story(self, fingerprint: stories.Fingerprint) -> int | None:
        """The story of the most similar stored article that is the same story, through the band index."""
        keys = fingerprint.band_keys()
        marks = ",".join("?" * len(keys))
        # the most bands shared first: past MAX_CANDIDATES (a family of templated briefs) a copy still shares
        # more of its original's bands than the family's other members do
        candidates = self.db.execute(
            f"SELECT article_id, count(*) AS shared FROM story_bands WHERE key IN ({marks}) "  # noqa: S608
            f"GROUP BY article_id ORDER BY shared DESC LIMIT {stories.MAX_CANDIDATES}",
            keys,
        ).fetchall()
        best: tuple[float, int] | None = None
        for candidate, _shared in candidates:
            row = self.db.execute(
                "SELECT f.digest, f.shingles, a.story_id FROM fingerprints f JOIN articles a ON a.id = f.article_id "
                "WHERE f.article_id = ?",
                [candidate],
            ).fetchone()
            if row is None:
                continue
            joined, score = stories.same_story(fingerprint, stories.Fingerprint.from_blob(row[0], row[1]))
            if joined and (best is None or score > best[0]):
                best = (score, row[2])
        return best[1] if best else None

    def _save_matches(self, article_id: int, matches: list[Match]) -> None:
        self.db.conn.executemany(
            "INSERT INTO matches (article_id, keyword, term, found, start, end) VALUES (?, ?, ?, ?, ?, ?)",
            [(article_id, m.keyword, m.term, m.found, m.start, m.end) for m in matches],
        )

    def _alert(
        self, article_id: int, story_id: int, article: Article, matches: list[Match], snippet: Snippet
    ) -> Alert | None:
        groups = list(dict.fromkeys(m.keyword for m in matches))
        alerted = {r[0] for r in self.db.execute("SELECT keyword FROM story_keywords WHERE story_id = ?", [story_id])}
        keywords = [g for g in groups if g not in alerted]
        if not keywords:
            return None
        start, end = snippet.mark or (None, None)
        alert_id = self.db.execute(
            "INSERT INTO alerts (article_id, story_id, keywords, snippet, mark_start, mark_end, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [article_id, story_id, json.dumps(keywords, ensure_ascii=False), snippet.text, start, end, iso(utcnow())],
        ).lastrowid
        self.db.conn.executemany(
            "INSERT INTO story_keywords (story_id, keyword, alert_id) VALUES (?, ?, ?)",
            [(story_id, k, alert_id) for k in keywords],
        )
        return Alert(
            id=alert_id, article_id=article_id, url=article.url, title=article.title, source=article.source,
            published=article.published, keywords=keywords, snippet=snippet.text, mark=snippet.mark,
            matches=[m for m in matches if m.keyword in keywords], story_id=story_id, forwarded=article.forwarded,
        )  # fmt: skip

    def enqueue(self, alert_id: int, channels: Iterable[str]) -> None:
        """Put an alert in the outbox of each channel that wants it."""
        self.db["deliveries"].insert_all(
            ({"alert_id": alert_id, "channel": c, "status": "pending", "attempts": 0} for c in channels),
            ignore=True,
        )

    # ------------------------------------------------------------------------------------ search keys

    def unkeyed(self, limit: int) -> list[tuple[int, str, str]]:
        """Up to ``limit`` articles stored before search keys existed (schema 7), newest first: (id, title, text)."""
        return self.db.execute(
            "SELECT id, title, text FROM articles WHERE NOT EXISTS (SELECT 1 FROM article_keys_text k "
            "WHERE k.article_id = articles.id) ORDER BY id DESC LIMIT ?",
            [limit],
        ).fetchall()

    def save_keys(self, rows: list[tuple[int, str]]) -> None:
        """(article id, loose key stream) for each: what search reads (bot/store/queries.py)."""
        self.db.conn.executemany(
            "INSERT INTO article_keys_text (article_id, keys) VALUES (?, ?) ON CONFLICT (article_id) "
            "DO UPDATE SET keys = excluded.keys",
            rows,
        )

"""The read side of the store, shared by every interface (CLI now; Slack and Matrix commands later).

Users think in stories, not pages: ``recent`` and ``search`` list stories (first headline, first source,
number of sources, newest sighting); ``articles=True`` adds every copy.
"""

from __future__ import annotations

import json
import sqlite3

from bot.errors import QueryError
from bot.store import Store

_STORY_COLUMNS = (
    "s.id AS story, s.title, s.first_source AS source, s.created AS first_seen, s.last_seen, "
    "(SELECT count(DISTINCT source) FROM articles WHERE story_id = s.id) AS sources, "
    "(SELECT count(*) FROM articles WHERE story_id = s.id) AS articles_count, "
    "(SELECT url FROM articles WHERE id = s.first_article) AS url, "
    "(SELECT json_group_array(keyword) FROM story_keywords WHERE story_id = s.id) AS keywords"
)


def recent(store: Store, keyword: str | None = None, limit: int = 20, articles: bool = False) -> list[dict]:
    """Alerted stories, the most recently alerted first."""
    where, params = "", []
    if keyword:
        where = "WHERE k.keyword = ? COLLATE NOCASE"
        params.append(keyword)
    sql = (
        f"SELECT {_STORY_COLUMNS}, max(k.alert_id) AS last_alert FROM story_keywords k "  # noqa: S608
        f"JOIN stories s ON s.id = k.story_id {where} GROUP BY s.id ORDER BY last_alert DESC LIMIT ?"
    )
    rows = [_story(row) for row in store.db.query(sql, [*params, limit])]
    return _with_articles(store, rows) if articles else rows


def search(store: Store, query: str, limit: int = 20, articles: bool = False) -> list[dict]:
    """Full-text search (FTS5 syntax) over every stored article, one row per story, best first."""
    sql = (  # FTS5's snippet() cannot be used with GROUP BY: the best article per story is picked below
        "SELECT a.story_id, snippet(articles_fts, 1, '[', ']', ' … ', 16) AS snippet FROM articles_fts f "
        "JOIN articles a ON a.rowid = f.rowid WHERE articles_fts MATCH ? ORDER BY f.rank LIMIT ?"
    )
    try:
        hits = store.db.execute(sql, [query, limit * 5]).fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc).removeprefix("fts5: ")
        raise QueryError(
            f'cannot search for "{query}": {message}. Put a phrase in double quotes, '
            'e.g. "Deir ez-Zor", or use AND / OR / NOT between words'
        ) from exc
    rows, seen = [], set()
    for story_id, snippet in hits:
        if story_id in seen or len(rows) >= limit:
            continue
        seen.add(story_id)
        row = story(store, story_id, members=False)
        if row:
            row["snippet"] = snippet
            rows.append(row)
    return _with_articles(store, rows) if articles else rows


def story(store: Store, story_id: int, members: bool = True) -> dict | None:
    sql = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = ?"  # noqa: S608
    found = [_story(row) for row in store.db.query(sql, [story_id])]
    if not found:
        return None
    return _with_articles(store, found)[0] if members else found[0]


def also(store: Store, story_id: int, article_id: int) -> list[dict]:
    """The story's other copies: who else reported it, where, and when it was seen."""
    rows = store.db.execute(
        "SELECT source, url, first_seen FROM articles WHERE story_id = ? AND id != ? ORDER BY id",
        [story_id, article_id],
    ).fetchall()
    return [{"source": source, "url": url, "seen": seen} for source, url, seen in rows]


def _with_articles(store: Store, rows: list[dict]) -> list[dict]:
    for row in rows:
        row["articles"] = [
            {"id": i, "source": source, "title": title, "url": url, "published": published, "seen": seen}
            for i, source, title, url, published, seen in store.db.execute(
                "SELECT id, source, title, url, published, first_seen FROM articles WHERE story_id = ? ORDER BY id",
                [row["story"]],
            ).fetchall()
        ]
    return rows


def _story(row: dict) -> dict:
    row = dict(row)
    row["keywords"] = json.loads(row["keywords"] or "[]")
    row.pop("last_alert", None)
    return row

"""The read side of the store, shared by every interface: the CLI, and the chat commands of Slack and Matrix.

Users think in stories, not pages: ``recent`` and ``search`` list stories (first headline, first source,
number of sources, newest sighting); ``articles=True`` adds every copy.
"""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING

from bot.errors import QueryError

if TYPE_CHECKING:
    from bot.store.db import Store

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
    # The newest ``limit`` stories first, from story_keywords alone (a story is never deleted), so that stories
    # are read, and the columns' subqueries run, for those only.
    sql = (
        f"SELECT {_STORY_COLUMNS} FROM (SELECT k.story_id, max(k.alert_id) AS last_alert FROM story_keywords k "  # noqa: S608
        f"{where} GROUP BY k.story_id ORDER BY last_alert DESC LIMIT ?) AS newest "
        "JOIN stories s ON s.id = newest.story_id ORDER BY newest.last_alert DESC"
    )
    rows = [_story(row) for row in store.db.query(sql, [*params, limit])]
    return _with_articles(store, rows) if articles else rows


def search(store: Store, query: str, limit: int = 20, articles: bool = False,
           marks: tuple[str, str] = ("[", "]")) -> list[dict]:  # fmt: skip
    """Full-text search (FTS5 syntax), one row per story, the story with the newest matching article first.

    Newest first, not best first (bm25), because that is what someone watching the news asks of a search (the
    latest on a name, like ``recent``), and because it is cheap whatever the query: FTS5 walks its index in rowid
    order, so the rows are read newest first and reading stops at the ``limit``-th story. bm25 scores every
    match before the first row comes out: 190 ms for a word in half of 200,000 articles, against under 1 ms.
    """
    sql = (
        "SELECT a.id, a.story_id FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid "
        "WHERE articles_fts MATCH ? ORDER BY articles_fts.rowid DESC"
    )
    newest: dict[int, int] = {}  # story -> its newest matching article, newest first
    try:
        cursor = store.db.execute(sql, [query])
        for article_id, story_id in cursor:
            if story_id is not None and story_id not in newest:
                newest[story_id] = article_id
                if len(newest) >= limit:
                    break
        cursor.close()
    except sqlite3.OperationalError as exc:
        message = str(exc).removeprefix("fts5: ")
        raise QueryError(
            f'cannot search for "{query}": {message}. Put a phrase in double quotes, '
            'e.g. "Deir ez-Zor", or use AND / OR / NOT between words'
        ) from exc
    rows, best = [], []
    for story_id, article_id in newest.items():
        row = story(store, story_id, members=False)
        if row:
            rows.append(row)
            best.append(article_id)
    snippets = _snippets(store, query, best, marks)
    for row, rowid in zip(rows, best, strict=True):
        row["snippet"] = snippets[rowid]
    return _with_articles(store, rows) if articles else rows


def _snippets(store: Store, query: str, rowids: list[int], marks: tuple[str, str]) -> dict[int, str]:
    """snippet() of the shown articles only (it is costly). Each is looked up by rowid, with LIMIT 1 (else FTS5
    looks ahead for the next match, far off for a rare phrase), but for a prefix* query, which FTS5 would
    expand again at every lookup (5 ms for a common prefix): one pass over its matches then."""
    column = "snippet(articles_fts, 1, ?, ?, ' … ', 16)"
    if "*" not in query:
        sql = f"SELECT {column} FROM articles_fts WHERE articles_fts MATCH ? AND rowid = ? LIMIT 1"  # noqa: S608
        return {rowid: store.db.execute(sql, [*marks, query, rowid]).fetchone()[0] for rowid in rowids}
    places = ",".join("?" * len(rowids))
    sql = (  # +rowid: a filter on the pass, not a lookup per value
        f"SELECT rowid, {column} FROM articles_fts WHERE articles_fts MATCH ? "  # noqa: S608
        f"AND rowid BETWEEN ? AND ? AND +rowid IN ({places}) LIMIT ?"
    )
    params = [*marks, query, min(rowids), max(rowids), *rowids, len(rowids)]
    return dict(store.db.execute(sql, params)) if rowids else {}


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

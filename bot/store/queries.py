"""The read side of the store, shared by every interface: the CLI, and the chat commands of Slack and Matrix.

Users think in stories, not pages: ``recent`` and ``search`` (bot/store/search.py) list stories (first
headline, first source, number of sources, newest sighting); ``articles=True`` adds every copy.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

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
    return with_articles(store, rows) if articles else rows


def story(store: Store, story_id: int, members: bool = True) -> dict | None:
    sql = f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.id = ?"  # noqa: S608
    found = [_story(row) for row in store.db.query(sql, [story_id])]
    if not found:
        return None
    return with_articles(store, found)[0] if members else found[0]


def also(store: Store, story_id: int, article_id: int) -> list[dict]:
    """The story's other copies and reports: who else reported it, where, when it was seen, in which language;
    a report in another language than the alert's (bot/clues/) carries its own headline too."""
    rows = store.db.execute(
        "SELECT id, source, url, first_seen, title, lang FROM articles WHERE story_id = ? ORDER BY id", [story_id]
    ).fetchall()
    langs = {row[0]: language(row[5], row[4]) for row in rows}
    mine = langs.get(article_id)
    out = []
    for other, source, url, seen, title, _ in rows:
        if other == article_id:
            continue
        item = {"source": source, "url": url, "seen": seen, "lang": langs[other]}
        if langs[other] != mine:
            item["title"] = title
        out.append(item)
    return out


def language_of(store: Store, story_id: int, url: str) -> str | None:
    """The language of the story's stored article at ``url`` (looked up among the story's articles: indexed)."""
    sql = "SELECT lang, title FROM articles WHERE story_id = ? AND url = ?"
    row = store.db.execute(sql, [story_id, url]).fetchone()
    return language(*row) if row else None


def language(declared: str | None, title: str | None) -> str | None:
    """A report's language as two letters: the page's own (en-US -> en), else its headline's script."""
    if declared:
        return declared.split("-")[0].split("_")[0].lower()[:3] or None
    from bot.extract.lang import guess_lang

    return guess_lang(title or "")


def with_articles(store: Store, rows: list[dict]) -> list[dict]:
    for row in rows:
        row["articles"] = [
            {"id": i, "source": source, "title": title, "url": url, "published": published, "seen": seen,
             "lang": language(lang, title)}
            for i, source, title, url, published, seen, lang in store.db.execute(
                "SELECT id, source, title, url, published, first_seen, lang FROM articles WHERE story_id = ? "
                "ORDER BY id",
                [row["story"]],
            ).fetchall()
        ]  # fmt: skip
        row["languages"] = sorted({a["lang"] for a in row["articles"] if a["lang"]})
    return rows


def _story(row: dict) -> dict:
    row = dict(row)
    row["keywords"] = json.loads(row["keywords"] or "[]")
    row.pop("last_alert", None)
    return row


def brief(store: Store, since: str, groups: list[str], per_group: int = 10) -> list[dict]:
    """Per keyword group (in ``groups``' order), the stories alerted since ``since`` (an ISO time): headline, link,
    how many sources ran it; the most sources first, then the newest; ``more`` counts the ones left out."""
    if not groups:
        return []
    marks = ",".join("?" * len(groups))
    rows = store.db.execute(
        "SELECT k.keyword, s.id, s.title, s.first_source, (SELECT url FROM articles WHERE id = s.first_article), "  # noqa: S608
        "(SELECT count(DISTINCT source) FROM articles WHERE story_id = s.id) AS sources, al.created "
        "FROM story_keywords k JOIN alerts al ON al.id = k.alert_id JOIN stories s ON s.id = k.story_id "
        f"WHERE al.created >= ? AND k.keyword IN ({marks}) ORDER BY sources DESC, al.created DESC, s.id DESC",
        [since, *groups],
    ).fetchall()
    by_group: dict[str, list[dict]] = {group: [] for group in groups}
    for group, story, title, source, url, sources, created in rows:
        by_group[group].append({"story": story, "title": title, "source": source, "url": url, "sources": sources,
                                "alerted": created})  # fmt: skip
    return [{"group": group, "stories": stories[:per_group], "more": max(0, len(stories) - per_group)}
            for group, stories in by_group.items() if stories]  # fmt: skip

"""The recent alerted reports, by the places they name: where a report in another language finds its event.

Comparing a new report with every story alerted in two days would cost a cycle of 1,000 alerts half a million
comparisons; a report is compared only with the reports that name one of its places (bot/clues/places.py). The
index is built from the database at first use (the alerts of the last ``KEEP``) and kept by the writer as it
stores alerts, in the writer's memory: a ``run`` and a ``check`` side by side each read the other's alerts at
their next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import clues
from bot.extract.lang import guess_lang
from bot.store.times import from_iso, iso, utcnow

KEEP = timedelta(seconds=2 * clues.WINDOW)


@dataclass(frozen=True, slots=True)
class Report:
    article_id: int
    story_id: int
    script: str | None
    when: datetime
    clues: clues.Clues


class Recent:
    def __init__(self) -> None:
        self.by_place: dict[int, list[Report]] = {}
        self.oldest = utcnow()

    def add(self, report: Report) -> None:
        for place in report.clues.named:
            self.by_place.setdefault(place.id, []).append(report)

    def near(self, places) -> list[Report]:
        seen: dict[int, Report] = {}
        for place in places:
            for report in self.by_place.get(place.id, ()):
                seen.setdefault(report.article_id, report)
        return list(seen.values())

    def prune(self, now: datetime) -> None:
        if now - self.oldest < timedelta(hours=1):
            return
        cutoff = now - KEEP
        for place, reports in list(self.by_place.items()):
            kept = [r for r in reports if r.when >= cutoff]
            if kept:
                self.by_place[place] = kept
            else:
                del self.by_place[place]
        self.oldest = now


def script(title: str, text: str) -> str | None:
    """Arabic or Latin script, whichever the report is written in (a page's declared language can be wrong)."""
    return guess_lang(f"{title} {text[:600]}")


def report_of(article_id: int, story_id: int, title: str, text: str, when: datetime | None) -> Report | None:
    """The report with its clues; None when its headline and lede name no place (nothing could link it)."""
    read = clues.read(title, text, placed_only=True)
    return Report(article_id, story_id, script(title, text), when or utcnow(), read) if read is not None else None


def recent(store: Any) -> Recent:
    """The store's (bot/store/db.py: it holds this module's index) recent alerted reports, loaded the first time."""
    index = getattr(store, "_recent_reports", None)
    if index is None:
        index = Recent()
        rows = store.db.execute(
            "SELECT a.id, al.story_id, a.title, a.text, a.published, a.first_seen FROM alerts al "
            "JOIN articles a ON a.id = al.article_id WHERE al.created >= ?",
            [iso(utcnow() - KEEP)],
        ).fetchall()
        for article_id, story_id, title, text, published, seen in rows:
            report = report_of(article_id, story_id, title or "", text or "", from_iso(published) or from_iso(seen))
            if report is not None:
                index.add(report)
        store._recent_reports = index
    return index


def same_event(store: Any, mine: Report, groups: set[str]) -> int | None:
    """The story of a recent report in another script that ``mine`` is judged the same event as (bot/clues/)."""
    index = recent(store)
    index.prune(utcnow())
    best: tuple[float, int] | None = None
    for other in index.near(mine.clues.named):
        if other.script == mine.script or abs((mine.when - other.when).total_seconds()) > clues.WINDOW:
            continue
        alerted = {row[0] for row in store.db.execute(
            "SELECT keyword FROM story_keywords WHERE story_id = ?", [other.story_id])}  # fmt: skip
        verdict = clues.score(mine.clues, other.clues, len(groups & alerted))
        if verdict.same and (best is None or verdict.score > best[0]):
            best = (verdict.score, other.story_id)
    return best[1] if best else None

"""tests/data/crosslang (events reported independently in English and Arabic, with distractors) as a small web:
one RSS feed per outlet and one article page per report, each dated by its offset from now.

``groups()`` are the keyword groups an analyst of these places would write: each place in English and Arabic.
"""

from __future__ import annotations

import hashlib
import html
import os
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import yaml

DATA = Path(__file__).parent / "data" / "crosslang"
CORPORA = (
    "events.yaml",
    "heldout.yaml",
)  # heldout.yaml: written apart from the rule, to measure it (bench/crosslang.py)
CORPUS = yaml.safe_load((DATA / os.environ.get("WIREWATCH_CROSSLANG", "events.yaml")).read_text(encoding="utf-8"))
EVENTS = CORPUS["events"]
DISTRACTORS = CORPUS["distractors"]


def corpus(name: str) -> tuple[list[dict], list[dict]]:
    data = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    return data["events"], data["distractors"]


# The places the corpus is set in, as a user writes a keyword group: the English name and the Arabic one
PLACES = {
    "Al-Bukamal": ["Al-Bukamal", "البوكمال"], "Al-Mayadin": ["Al-Mayadin", "الميادين"], "Hajin": ["Hajin", "هجين"],
    "Al-Shuhayl": ["Al-Shuhayl", "الشحيل"], "Dhiban": ["Dhiban", "Diban", "ذيبان"],
    "Al-Busayrah": ["Al-Busayrah", "البصيرة"],
    "Al-Kasrah": ["Al-Kasrah", "الكسرة"], "Deir ez-Zor": ["Deir ez-Zor", "دير الزور"], "Raqqa": ["Raqqa", "الرقة"],
    "Tabqa": ["Tabqa", "الطبقة"], "Hasakah": ["Hasakah", "الحسكة"], "Qamishli": ["Qamishli", "القامشلي"],
    "Manbij": ["Manbij", "منبج"], "Al-Qaim": ["Al-Qaim", "القائم"], "Mosul": ["Mosul", "الموصل"],
    "Sinjar": ["Sinjar", "سنجار"], "Tal Afar": ["Tal Afar", "تلعفر", "تل عفر"], "Kirkuk": ["Kirkuk", "كركوك"],
    "Baiji": ["Baiji", "بيجي"], "Fallujah": ["Fallujah", "الفلوجة"], "Ramadi": ["Ramadi", "الرمادي"],
}  # fmt: skip


def reports(events: list[dict] | None = None, distractors: list[dict] | None = None) -> list[dict]:
    """Every report: each event's two and each distractor, with ``key`` (event id + language, or distractor id)."""
    out = []
    for event in EVENTS if events is None else events:
        for lang in ("en", "ar"):
            out.append({**event[lang], "key": f"{event['id']}/{lang}", "event": event["id"], "lang": lang})
    for item in DISTRACTORS if distractors is None else distractors:
        out.append({**item, "key": item["id"], "event": None})
    return out


def groups() -> list[dict]:
    names = {e["place"] for e in EVENTS} | {place for d in DISTRACTORS if (place := d.get("place"))}
    out = []
    for name in sorted(names):
        known = next((terms for key, terms in PLACES.items() if key.lower() == name.lower()), None)
        if known is not None:
            out.append({"name": known[0], "terms": known})
    return out


def slug(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=5).hexdigest()


def hours(offset: str) -> float:
    return float(str(offset).rstrip("h"))


def render(root: Path, now: datetime | None = None, only: set[str] | None = None) -> dict[str, str]:
    """Write the web under ``root`` (``only``: those reports, by key; every outlet's feed either way); the path of
    each report by its key."""
    now = now or datetime.now(UTC)
    by_outlet: dict[str, list[dict]] = {outlet: [] for outlet in outlets()}
    for report in reports():
        if only is not None and report["key"] not in only:
            continue
        by_outlet.setdefault(report["outlet"], []).append(report)
    paths = {}
    for outlet, items in by_outlet.items():
        folder = root / slug(outlet)
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for report in items:
            when = now + timedelta(hours=hours(report["published"]))
            page = f"{slug(report['key'])}.html"
            lang = report.get("lang") or "en"
            paragraphs = "".join(f"<p>{html.escape(p.strip())}</p>\n" for p in report["text"].split("\n") if p.strip())
            direction = "rtl" if lang == "ar" else "ltr"
            (folder / page).write_text(
                f'<!doctype html><html lang="{lang}" dir="{direction}"><head><meta charset="utf-8">'
                f"<title>{html.escape(report['title'])} | {html.escape(outlet)}</title>"
                f'<meta property="og:type" content="article">'
                f'<meta property="article:published_time" content="{when.isoformat(timespec="seconds")}">'
                f"</head><body><header><nav><a href='/'>{html.escape(outlet)}</a></nav></header><main><article>"
                f"<h1>{html.escape(report['title'])}</h1><time datetime='{when.isoformat(timespec='seconds')}'>"
                f"{when:%Y-%m-%d %H:%M}</time>{paragraphs}</article></main><footer>© {html.escape(outlet)}</footer>"
                "</body></html>",
                encoding="utf-8",
            )  # fmt: skip
            paths[report["key"]] = f"/{slug(outlet)}/{page}"
            entries.append(
                f"<item><title>{html.escape(report['title'])}</title><link>{{{{BASE}}}}/{slug(outlet)}/{page}</link>"
                f"<guid>{{{{BASE}}}}/{slug(outlet)}/{page}</guid><pubDate>{format_datetime(when)}</pubDate></item>"
            )
        (folder / "feed.xml").write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{html.escape(outlet)}</title><link>{{{{BASE}}}}/{slug(outlet)}/</link>"
            f"<description>news</description>{''.join(entries)}</channel></rss>",
            encoding="utf-8",
        )
    return paths


def outlets() -> list[str]:
    return sorted({r["outlet"] for r in reports()})

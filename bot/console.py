"""Alerts, poll errors and query results on a terminal or in a pipe.

Scraped text is hostile: control characters (an ANSI escape can rewrite a terminal) are removed, and
rich receives ``Text`` objects, never markup strings, so a headline cannot inject styling or links.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from typing import TextIO

from bot.models import Alert

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str | None) -> str:
    """One line of scraped text, safe to print."""
    return _CONTROL.sub("", re.sub(r"\s+", " ", text or "")).strip()


def _pieces(alert: Alert) -> tuple[str, str, str] | None:
    """The snippet, clean, in three pieces around the spelling that fired (``Alert.mark``)."""
    if not alert.mark or not 0 <= alert.mark[0] < alert.mark[1] <= len(alert.snippet):
        return None
    start, end = alert.mark
    pieces = [_CONTROL.sub("", re.sub(r"\s+", " ", piece)) for piece in
              (alert.snippet[:start], alert.snippet[start:end], alert.snippet[end:])]  # fmt: skip
    return pieces[0].lstrip(), pieces[1], pieces[2].rstrip()


def alert_json(alert: Alert) -> str:
    return json.dumps(alert.to_json(), ensure_ascii=False)


def print_alerts(alerts: list[Alert], out: TextIO | None = None, as_json: bool = False) -> None:
    out = out or sys.stdout
    if as_json:
        for alert in alerts:
            out.write(alert_json(alert) + "\n")
        return
    if not alerts:
        out.write("No new alerts.\n")
        return
    if out.isatty():
        _alerts_table(alerts, out)
        return
    for alert in alerts:
        published = alert.published.strftime("%Y-%m-%d %H:%M") if alert.published else "undated"
        out.write(f"[{', '.join(alert.keywords)}] {clean(alert.title)}\n")
        forwarded = f" · forwarded from {clean(alert.forwarded.name)}" if alert.forwarded is not None else ""
        out.write(f"  {clean(alert.source)}{forwarded} · {published} · {alert.url}\n")
        if alert.snippet:
            out.write(f"  {_bracketed(alert)}\n")
        if alert.also:
            out.write(f"  also reported by: {_also(alert.also)}\n")
    out.write(f"{len(alerts)} new alert{'s' if len(alerts) != 1 else ''}.\n")


def _also(also: list[dict]) -> str:
    return ", ".join(f"{clean(a['source'])} ({clean(a['url'])})" for a in also)


def print_joined(joined: list[dict], out: TextIO | None = None) -> None:
    """Republications of stories already alerted: one line each, no new alert."""
    out = out or sys.stdout
    for item in joined:
        out.write(f"story {item['story']} «{clean(item['title'])}» also reported by "
                  f"{clean(item['source'])} ({clean(item['url'])})\n")  # fmt: skip


def _bracketed(alert: Alert) -> str:
    """The snippet with the spelling that fired in »guillemets«, so a reader sees at once what matched."""
    pieces = _pieces(alert)
    return f"{pieces[0]}»{pieces[1]}«{pieces[2]}" if pieces else clean(alert.snippet)


def _alerts_table(alerts: list[Alert], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(show_lines=True, title=f"{len(alerts)} new alert{'s' if len(alerts) != 1 else ''}")
    table.add_column("Keywords", style="bold magenta", no_wrap=True)
    table.add_column("Article", overflow="fold")  # fold, never cut: the URL must stay whole and clickable
    table.add_column("Source", style="cyan")
    table.add_column("Published", no_wrap=True)
    for alert in alerts:
        body = Text()
        body.append(clean(alert.title), style="bold")
        body.append("\n" + clean(alert.url), style="dim")
        pieces = _pieces(alert)
        if pieces:
            body.append("\n" + pieces[0])
            body.append(pieces[1], style="bold yellow reverse")
            body.append(pieces[2])
        elif alert.snippet:
            body.append("\n" + clean(alert.snippet))
        if alert.also:
            body.append("\nalso reported by: " + _also(alert.also), style="italic")
        published = alert.published.strftime("%Y-%m-%d %H:%M") if alert.published else "undated"
        table.add_row(Text("\n".join(alert.keywords)), body, Text(clean(alert.source)), published)
    Console(file=out).print(table)


def print_rows(rows: Iterable[dict], columns: list[tuple[str, str]], out: TextIO | None = None,
               as_json: bool = False, empty: str = "Nothing found.") -> None:  # fmt: skip
    """Query results (recent, search) as JSON lines, a table on a terminal, or tab-separated lines."""
    out = out or sys.stdout
    rows = list(rows)
    if as_json:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if not rows:
        out.write(empty + "\n")
        return
    if out.isatty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table()
        for _, header in columns:
            table.add_column(header, overflow="fold")  # a long URL wraps, whole, instead of being cut
        for row in rows:
            table.add_row(*(Text(_cell(row.get(key))) for key, _ in columns))
        Console(file=out).print(table)
        return
    for row in rows:
        out.write("\t".join(_cell(row.get(key)) for key, _ in columns) + "\n")


def print_stories(rows: list[dict], columns: list[tuple[str, str]], out: TextIO | None = None,
                  as_json: bool = False, empty: str = "Nothing found.") -> None:  # fmt: skip
    """Stories as rows; with their copies (``articles``) listed under each one."""
    out = out or sys.stdout
    if as_json or not any("articles" in row for row in rows):
        print_rows(rows, columns, out, as_json, empty)
        return
    if not rows:
        out.write(empty + "\n")
    for row in rows:
        print_rows([row], columns, out)
        for article in row["articles"]:
            lang = f"{_cell(article['lang'])}, " if article.get("lang") else ""
            out.write(f"    - {_cell(article['source'])}: {_cell(article['title'])} {_cell(article['url'])}"
                      f" ({lang}seen {_cell(article['seen'])})\n")  # fmt: skip


def _cell(value) -> str:
    if isinstance(value, list):
        return ", ".join(clean(str(v)) for v in value)
    return clean("" if value is None else str(value))

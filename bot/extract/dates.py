"""Dates as sites write them (RFC 822, ISO 8601, and the odd formats feedparser already knows)."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def parse_date(value: str | None) -> datetime | None:
    """An aware UTC datetime, or None for anything unparseable (a bad date never fails an article)."""
    if not value or not str(value).strip():
        return None
    text = str(value).strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        from feedparser.datetimes import _parse_date

        struct = _parse_date(text)
        if struct is None:
            return None
        return datetime.fromtimestamp(calendar.timegm(struct), UTC)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def from_struct(struct) -> datetime | None:
    """feedparser's ``*_parsed`` fields (UTC time.struct_time) -> datetime."""
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), UTC)
    except (OverflowError, ValueError, TypeError):
        return None

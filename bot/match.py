"""Compiled keyword groups: any of ``terms``, at least one of ``require``, none of ``exclude``.

This first matcher is case-insensitive and whole-word with exact spellings; the multilingual engine
(spelling variants, Arabic orthography) replaces ``_compile_terms`` behind the same ``Matcher`` API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.config import Keyword
from bot.models import Match

MAX_MATCHES_PER_GROUP = 20


def _term_pattern(term: str) -> str:
    words = [re.escape(word) for word in term.split()]
    return r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)"


class _Terms:
    """One regex for a list of terms; tells which term each hit belongs to."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.terms = [t for t in terms if t.strip()]
        alternatives = [f"(?P<t{i}>{_term_pattern(t)})" for i, t in enumerate(self.terms)]
        self.regex = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def finditer(self, text: str) -> Iterable[tuple[str, re.Match[str]]]:
        if self.regex is None:
            return
        for hit in self.regex.finditer(text):
            index = int(hit.lastgroup[1:])  # type: ignore[index]
            yield self.terms[index], hit

    def search(self, text: str) -> str | None:
        for term, _ in self.finditer(text):
            return term
        return None


class Group:
    def __init__(self, keyword: Keyword) -> None:
        self.name = keyword.name
        self.terms = _Terms(keyword.terms)
        self.require = _Terms(keyword.require)
        self.exclude = _Terms(keyword.exclude)

    def match(self, text: str) -> list[Match]:
        found = []
        for term, hit in self.terms.finditer(text):
            found.append(Match(self.name, term, hit.group(0), hit.start(), hit.end()))
            if len(found) >= MAX_MATCHES_PER_GROUP:
                break
        if not found:
            return []
        if self.require.regex is not None and self.require.search(text) is None:
            return []
        if self.exclude.search(text) is not None:
            return []
        return found


class Matcher:
    """All keyword groups of a config, compiled once."""

    def __init__(self, keywords: Iterable[Keyword]) -> None:
        self.groups = [Group(k) for k in keywords]

    def match(self, text: str) -> list[Match]:
        """Every match of every group that fires on ``text``, in text order."""
        matches = [m for group in self.groups for m in group.match(text)]
        return sorted(matches, key=lambda m: m.start)


def article_text(title: str, text: str) -> str:
    """What the matcher sees for an article: its own title and body, nothing else."""
    return f"{title}\n{text}" if title else text


def snippet(text: str, match: Match, width: int = 240) -> tuple[str, int, int]:
    """About ``width`` characters of ``text`` around ``match``, on word boundaries, and the match's
    position inside the snippet (for marking it)."""
    half = max(0, (width - (match.end - match.start)) // 2)
    start = max(0, match.start - half)
    end = min(len(text), match.end + half)
    if start > 0:
        space = text.find(" ", start, match.start)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", match.end, end)
        end = space if space != -1 else end
    piece = text[start:end]
    lead = "… " if start > 0 else ""
    cleaned = lead + re.sub(r"\s+", " ", piece[: match.start - start])
    mark_start = len(cleaned)
    cleaned += re.sub(r"\s+", " ", match.found)
    mark_end = len(cleaned)
    cleaned += re.sub(r"\s+", " ", piece[match.end - start :]) + (" …" if end < len(text) else "")
    return cleaned, mark_start, mark_end

"""Compiled keyword groups: any of ``terms``, at least one of ``require``, none of ``exclude``,
each term in every spelling that ``bot.text.variants`` derives (unless the group is ``exact``).

Two passes keep it cheap with hundreds of groups: one Aho-Corasick automaton over the text's phonetic
key stream (``normalise.key``, words separated by ``#``; every pattern starts and ends on a ``#``, so it
is aligned to whole words) finds which terms may occur, in one pass whatever the number of terms. Only
then is the text tokenised, and each candidate confirmed on whole tokens, which gives the exact span and
the spelling found (bench/match.py: ~20 MB/s with 1,500 terms, 300x a regex per term).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import ahocorasick

from bot.models import Group, Match, Snippet
from bot.text.normalise import (
    arabic_readings,
    fold,
    join_keys,
    key,
    plain,
    token_fold,
    token_key,
    token_plain,
    without_article,
)
from bot.text.variants import Term, compile_term

if TYPE_CHECKING:  # not at run time: worker processes match without loading pydantic
    from bot.config import Keyword

MAX_MATCHES_PER_GROUP = 20
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06ed"
_TOKEN = re.compile(rf"(?:[^\W_]|[{_MARKS}])+(?:['’](?:[^\W_]|[{_MARKS}])+)*")
_HARD_BREAK = re.compile(r"[.!?;:()\[\]{}«»\"“”|•·؛؟]")  # a name never spans these


@dataclass(slots=True, frozen=True)
class Hit:
    term: Term
    start: int
    end: int
    found: str


@dataclass(slots=True)
class Explanation:
    """Why a group did or did not match a text (``wirewatch explain``)."""

    group: str
    matched: bool
    hits: list[Hit] = field(default_factory=list)
    required: list[Hit] = field(default_factory=list)
    excluded: list[Hit] = field(default_factory=list)
    reason: str = ""


class _Automaton:
    def __init__(self, terms: Iterable[tuple[int, Term]], stream_of) -> None:
        self.stream_of = stream_of
        self.automaton = ahocorasick.Automaton()
        owners: dict[str, set[int]] = defaultdict(set)
        for index, term in terms:
            for pattern in term.patterns:
                owners[pattern].add(index)
        for pattern, indexes in owners.items():
            self.automaton.add_word(pattern, frozenset(indexes))
        self.empty = not owners
        if not self.empty:
            self.automaton.make_automaton()

    def candidates(self, folded: str) -> set[int]:
        if self.empty:
            return set()
        found: set[int] = set()
        for _, indexes in self.automaton.iter(self.stream_of(folded)):
            found.update(indexes)
        return found


class Matcher:
    """All keyword groups of a config, compiled once; ``match`` is called for every article."""

    def __init__(self, keywords: Iterable[Keyword | Group]) -> None:
        self.groups = list(keywords)
        self.terms: list[Term] = []
        for group in self.groups:
            for role, texts in (("term", group.terms), ("require", group.require), ("exclude", group.exclude)):
                for text in texts:
                    term = compile_term(text, group.name, role, group.exact)
                    if term.keys or term.sequences:
                        self.terms.append(term)
        indexed = list(enumerate(self.terms))
        self._variant = _Automaton(((i, t) for i, t in indexed if not t.exact), key)
        self._exact = _Automaton(((i, t) for i, t in indexed if t.exact), plain)

    # ----------------------------------------------------------------------------------------- public

    def match(self, text: str) -> list[Match]:
        """Every match of every group that fires on ``text``, in text order."""
        matches = []
        for explanation in self._evaluate(text, only_hit=True):
            if explanation.matched:
                for hit in explanation.hits[:MAX_MATCHES_PER_GROUP]:
                    matches.append(Match(explanation.group, hit.term.text, hit.found, hit.start, hit.end))
        return sorted(matches, key=lambda m: (m.start, m.keyword))

    def explain(self, text: str) -> list[Explanation]:
        return self._evaluate(text)

    # --------------------------------------------------------------------------------------- internal

    def _evaluate(self, text: str, only_hit: bool = False) -> list[Explanation]:
        hits = self.find(text)
        by_group: dict[str, dict[str, list[Hit]]] = defaultdict(lambda: defaultdict(list))
        for hit in hits:
            by_group[hit.term.group][hit.term.role].append(hit)
        out = []
        for group in self.groups:
            if only_hit and group.name not in by_group:
                continue
            roles = by_group.get(group.name, {})
            found, required, excluded = roles.get("term", []), roles.get("require", []), roles.get("exclude", [])
            explanation = Explanation(group.name, False, found, required, excluded)
            if not found:
                explanation.reason = "no term found"
            elif group.require and not required:
                explanation.reason = "none of the required terms occurs: " + ", ".join(group.require)
            elif excluded:
                explanation.reason = f'excluded by "{excluded[0].found}" ({excluded[0].term.text})'
            else:
                explanation.matched = True
            out.append(explanation)
        return out

    def find(self, text: str) -> list[Hit]:
        """Every term occurrence in ``text`` (terms, require and exclude alike), confirmed on tokens."""
        folded = fold(text)
        candidates = self._variant.candidates(folded) | self._exact.candidates(folded)
        if not candidates:
            return []
        terms = [self.terms[i] for i in sorted(candidates)]
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        hits: list[Hit] = []
        hits += _confirm_keyed(text, tokens, [t for t in terms if not t.arabic or t.exact])
        hits += _confirm_arabic(text, tokens, [t for t in terms if t.arabic and not t.exact])
        return sorted(hits, key=lambda h: h.start)


def _broken(text: str, tokens: list, i: int, j: int) -> bool:
    return bool(_HARD_BREAK.search(text, tokens[i][1], tokens[j][0]))


def _confirm_keyed(text: str, tokens: list, terms: list[Term]) -> list[Hit]:
    """Latin (phonetic keys) and exact (plain keys) terms: the longest run of whole tokens whose joined
    key is one of the term's keys."""
    hits = []
    for exact in (False, True):
        chosen = [t for t in terms if t.exact is exact]
        if not chosen:
            continue
        wanted: dict[str, list[Term]] = defaultdict(list)
        prefixes: set[str] = set()
        for term in chosen:
            for k in term.keys:
                wanted[k].append(term)
                prefixes.update(k[:n] for n in range(1, len(k) + 1))
        token_of = token_plain if exact else token_key
        join = (lambda a, b: a + b) if exact else join_keys
        i = 0
        while i < len(tokens):
            acc, best = "", None
            for j in range(i, len(tokens)):
                if j > i and _broken(text, tokens, j - 1, j):
                    break
                acc = join(acc, token_of(tokens[j][2]))
                if acc not in prefixes:
                    break
                if acc in wanted:
                    best = (j, wanted[acc])
            if best is None:
                i += 1
                continue
            j, found_terms = best
            start, end = tokens[i][0], tokens[j][1]
            if text[end - 2 : end] in ("'s", "’s"):  # Ezzor’s: the possessive is not part of the name
                end -= 2
            hits.extend(Hit(term, start, end, text[start:end]) for term in found_terms)
            i = j + 1
    return hits


def _confirm_arabic(text: str, tokens: list, terms: list[Term]) -> list[Hit]:
    """Arabic terms: the first word may carry attached prefixes, every word its article."""
    if not terms:
        return []
    by_head: dict[str, list[tuple[Term, tuple[str, ...]]]] = defaultdict(list)
    for term in terms:
        for seq in term.sequences:
            by_head[without_article(seq[0])].append((term, seq))
    hits = []
    for i, (start, _, token) in enumerate(tokens):
        folded = token_fold(token)
        if not folded or not "\u0621" <= folded[0] <= "\u064a":
            continue
        cores, prefixed = arabic_readings(folded)
        heads = cores | {p.lstrip("=") for p in prefixed}
        for head in heads:
            for term, seq in by_head.get(head, ()):
                written = seq[0]
                if not (head in cores or "=" + head in prefixed or written in prefixed):
                    continue
                last = i + len(seq) - 1
                if last >= len(tokens) or any(_broken(text, tokens, k, k + 1) for k in range(i, last)):
                    continue
                rest = tokens[i + 1 : last + 1]
                if all(
                    without_article(token_fold(t[2])) == without_article(w) for t, w in zip(rest, seq[1:], strict=True)
                ):
                    hits.append(Hit(term, start, tokens[last][1], text[start : tokens[last][1]]))
    return _longest(hits)


def _longest(hits: list[Hit]) -> list[Hit]:
    """One hit per term and start: the longest reading."""
    best: dict[tuple[int, int], Hit] = {}
    for hit in hits:
        slot = (id(hit.term), hit.start)
        if slot not in best or hit.end > best[slot].end:
            best[slot] = hit
    return list(best.values())


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
    before = ("… " if start > 0 else "") + re.sub(r"\s+", " ", text[start : match.start])
    found = re.sub(r"\s+", " ", text[match.start : match.end])
    after = re.sub(r"\s+", " ", text[match.end : end]) + (" …" if end < len(text) else "")
    return before + found + after, len(before), len(before) + len(found)


def alert_snippet(title: str, text: str, matches: list[Match]) -> Snippet:
    """An alert's snippet: text around the first match in the body (the title is shown anyway), marked where the
    match is; else the body's opening, unmarked; empty without a match."""
    if not matches:
        return Snippet()
    offset = len(article_text(title, text)) - len(text)
    in_body = [m for m in matches if m.start >= offset]
    if not in_body:
        lead = " ".join(text.split())
        return Snippet(lead[:240].rsplit(" ", 1)[0] + " …" if len(lead) > 240 else lead)
    first = in_body[0]
    shifted = Match(first.keyword, first.term, first.found, first.start - offset, first.end - offset)
    around, start, end = snippet(text, shifted)
    return Snippet(around, (start, end))

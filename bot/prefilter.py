"""Which keyword groups may match somewhere in a page: a cheap test that never says no to an alert.

Most pages name no watched name anywhere (on the region's press as on bench/cycle.py's web, ~95%); for them
the accurate reading of the main text (three extractors, bot/extract/body.py) cannot change what alerts,
and the cheap one does (bot/extract/pages.py). This decides which, from the page's whole text.

Why it is sound, that is, why a page whose accurate reading would alert always passes:

- The reading alerts when ``Matcher.match`` finds a group's term (and a required one) in the article's
  title and text. Every confirmed hit but the Hebrew, Sorani and Persian skeletons starts as a pattern
  of the matcher's automata: a run of whole words (their phonetic keys, their plain folded form, or
  their loose keys in either ending mode) found in the article's stream of them.
- The article's title and text are made of the page's text: every reader returns runs of the page's
  text nodes (a selection of its own, with line breaks at block elements, as ``page_text`` puts them), or
  the feed's title and text, which the caller adds. A reader drops whole elements (chrome, blocks),
  never a piece from inside a run of words that ``page_text`` keeps, so a run of words of the article is a
  run of words of the page (scripts and styles, which ``page_text`` skips as well, are the exception that
  proves it: ``Deir <script>...</script>ez-Zor`` reads as the name in both).
- A word's key does not depend on its neighbours. It depends on the text's scripts (``features``) only
  through characters of that script, except for Sorani's ``وو``: words are taken both with and without it.
- So the automata find in the page's streams every pattern an accurate reading holds. Required terms
  are tested the same way; excluded ones are not (an excluded word in the page's menu says nothing of the
  article). The language gate of the loose reading (``_read_loosely``) only narrows what the matcher
  reads, so loose keys are looked up whatever the page's language; the open endings are read only in a
  text with Cyrillic or a Latin letter English does not use, which a reading has only if its page has.
  The skeletons are looked up by every Hebrew or Arabic-script token's heads (their first consonants)
  whenever the page has Hebrew, Sorani or Persian letters.
- Before an automaton walks a stream, ``_Gate`` asks whether each word of one of its patterns is some word
  of the page; a pattern it turns away cannot occur in the stream, so the answer is the automaton's.

tests/test_prefilter.py checks it on every spelling case in nine markup shapes (names split by tags,
written with entities and NBSP, only in the title or the JSON-LD, in a caption, a table, a list), on the
labelled real pages with groups taken from their own text, and on the fixture sites.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from bot.match import _TOKEN, Matcher, _fused_readings, _skeleton_readings
from bot.text.normalise import fold, keys_of, loose_keys_of, loose_stream, words
from bot.text.scripts import HEBREW, features


class Prefilter:
    """The groups of a ``Matcher`` that may match a text: its automata run without the confirmation on tokens."""

    def __init__(self, matcher: Matcher) -> None:
        self._matcher = matcher
        self._by_head: dict[str, set[int]] = defaultdict(set)  # skeleton of a first word -> Arabic terms
        roles: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        index = {id(term): i for i, term in enumerate(matcher.terms)}
        for i, term in enumerate(matcher.terms):
            roles[term.group][term.role].add(i)
        for head, shapes in matcher._skeletal.by_head.items():
            self._by_head[head].update(index[id(term)] for term, _ in shapes)
        self._joined = matcher._skeletal.by_joined
        self._variant = _Gate(matcher._variant.patterns)
        self._exact = _Gate(matcher._exact.patterns)
        self._loose = _Gate(matcher._loose.patterns)
        self._groups = [
            (group.name, frozenset(roles[group.name]["term"]), frozenset(roles[group.name]["require"]))
            for group in matcher.groups
        ]

    def groups(self, texts: Iterable[str]) -> list[str]:
        """The groups that may match any text made of runs of words of ``texts``."""
        terms = self._terms("\n".join(texts))
        return [
            name
            for name, own, required in self._groups
            if not own.isdisjoint(terms) and (not required or not required.isdisjoint(terms))
        ]

    def _terms(self, text: str) -> set[int]:
        matcher = self._matcher
        seen = features(text)
        terms: set[int] = set()
        for scripts in (seen, seen - {"sorani"}) if "sorani" in seen else (seen,):  # no Sorani: وو folded as is
            folded = fold(text, scripts)
            text_words = words(folded)
            distinct = list(set(text_words))  # a page's words are a third as many distinct ones
            if self._variant.may_occur(keys_of(distinct)):
                terms |= matcher._variant.candidates_in("#" + "#".join(keys_of(text_words)) + "#")
            if self._exact.may_occur(distinct):
                terms |= matcher._exact.candidates_in("#" + "#".join(text_words) + "#")
            if self._loose.may_occur(loose_keys_of(distinct)):
                terms |= matcher._loose.candidates_in(loose_stream(text_words))
            if seen & {"cyrillic", "latin"} and self._loose.may_occur(loose_keys_of(distinct, True)):
                terms |= matcher._loose.candidates_in(loose_stream(text_words, True))
        if self._by_head and seen & {"hebrew", "sorani", "persian"}:
            terms |= self._skeletal_terms(text)
        return terms

    def _skeletal_terms(self, text: str) -> set[int]:
        terms: set[int] = set()
        for token in set(_TOKEN.findall(text)):
            if not (HEBREW.search(token) or "\u0621" <= token[:1] <= "\u06ff"):
                continue
            for kurdish in (False, True):
                readings = _readings(token, kurdish)
                heads = readings | {left for left, _ in _fused_readings(token, kurdish)}
                heads |= {head for reading in readings for head in self._joined.get(reading, ())}
                for head in heads.intersection(self._by_head):
                    terms |= self._by_head[head]
        return terms


class _Gate:
    """Whether an automaton's patterns may occur in a text, from the set of its words' keys alone.

    A pattern is a run of whole words' keys between ``#``s, so it occurs in a text's stream only if each of
    its words' keys is the key of some word of the text. On the ~95% of pages without a watched name, testing
    that on the text's distinct words (a set intersection) spares joining the stream and walking the
    automaton over it (~1.3 ms of a 9.6 ms news-web page). Where it passes, the automaton decides as before,
    so the prefilter's answer is the same either way."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._by_first: dict[str, list[frozenset[str]]] = defaultdict(list)
        self._always = False  # a pattern not made of whole words: the automaton is always asked
        for pattern in patterns:
            parts = pattern.split("#")
            if len(parts) < 3 or parts[0] or parts[-1] or "" in parts[1:-1]:
                self._always = True
            else:
                self._by_first[parts[1]].append(frozenset(parts[1:-1]))
        self._firsts = frozenset(self._by_first)

    def may_occur(self, text_keys: Iterable[str]) -> bool:
        if self._always:
            return True
        present = set(text_keys)
        return any(need <= present for first in self._firsts & present for need in self._by_first[first])


_readings = lru_cache(maxsize=50_000)(_skeleton_readings)

"""Compiled keyword groups: any of ``terms``, at least one of ``require``, none of ``exclude``,
each term in every spelling that ``bot.text.variants`` derives (unless the group is ``exact``).

Two passes keep it cheap with hundreds of groups: one Aho-Corasick automaton over the text's phonetic
key stream (``normalise.key``, words separated by ``#``; every pattern starts and ends on a ``#``, so it
is aligned to whole words) finds which terms may occur, in one pass whatever the number of terms. Only
then is the text tokenised, and each candidate confirmed on whole tokens, which gives the exact span and
the spelling found (bench/match.py: ~20 MB/s with 1,500 terms, 300x a regex per term).

Other languages' spellings are read in two more ways, each only where the text gives a reason to:

- loose keys (Turkish, Kurdish, German, French, Russian: ``normalise.loose``) in a text with a letter English
  does not use (é, ü, ş, ê, Cyrillic ...) or whose commonest words are not English ones
  (``scripts.other_language``), and only on a capitalised word of two letters or more: a name is a proper noun in
  each of these languages, and a loose key would otherwise let English words through (homes ~ Hamas, rake ~
  Raqqa);
- consonant skeletons (``normalise.skeleton``) of tokens in Hebrew or with Sorani's own letters, against the
  configured Arabic spelling.

Every Unicode punctuation character is a boundary, and a name never spans one (but a hyphen, and an apostrophe
inside a word: Kata'ib); a spelling found says how it was read (``Hit.how``, shown by ``wirewatch explain``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from typing import TYPE_CHECKING

import ahocorasick

from bot.models import Group, Match, Snippet
from bot.text.normalise import (
    arabic_readings,
    fold,
    join_keys,
    join_loose,
    key,
    keys_of,
    loose,
    loose_stream,
    plain,
    skeleton,
    token_fold,
    token_key,
    token_plain,
    without_article,
    words,
)
from bot.text.scripts import (
    CYRILLIC,
    HEBREW,
    HEBREW_PREFIXES,
    SORANI,
    features,
    language_of,
    other_language,
    spelling_language,
    suffix_of,
)
from bot.text.variants import ARTICLE_WORDS, Term, compile_term

if TYPE_CHECKING:  # not at run time: worker processes match without loading pydantic
    from bot.config import Keyword

MAX_MATCHES_PER_GROUP = 20
_MARKS = "\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u0640\u06d6-\u06ed"
_TOKEN = re.compile(rf"(?:[^\W_]|[{_MARKS}])+(?:['’](?:[^\W_]|[{_MARKS}])+)*")
_ELIDED = re.compile(r"(?i)(?:qu|[dljnsmct])['’](?=[^\W\d_])")  # French elision: d'Idleb is Idleb
_JOINERS = frozenset("'’ʼ\u05f3")  # apostrophes: inside a name (Kata'ib), never a break
_GERESH = frozenset("'’׳")
_HEBREW_ARTICLE = re.compile("^[\u05d5\u05d1\u05dc\u05de\u05d4\u05e9\u05db]{0,2}אל?$")  # (ו/ב...) א or אל


@dataclass(slots=True, frozen=True)
class Hit:
    term: Term
    start: int
    end: int
    found: str
    how: str = "strict"  # strict | loose (another language's spelling) | skeleton (Hebrew, Sorani)


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
    def __init__(self, terms: Iterable[tuple[int, Term]], stream_of, patterns=lambda term: term.patterns) -> None:
        self.stream_of = stream_of
        self.automaton = ahocorasick.Automaton()
        owners: dict[str, set[int]] = defaultdict(set)
        for index, term in terms:
            for pattern in patterns(term):
                owners[pattern].add(index)
        for pattern, indexes in owners.items():
            self.automaton.add_word(pattern, frozenset(indexes))
        self.patterns = frozenset(owners)
        self.empty = not owners
        if not self.empty:
            self.automaton.make_automaton()

    def candidates(self, folded: str) -> set[int]:
        return self.candidates_in(self.stream_of(folded)) if not self.empty else set()

    def candidates_in(self, stream: str) -> set[int]:
        """The terms whose patterns occur in ``stream`` (the text's key stream, already computed)."""
        if self.empty:
            return set()
        found: set[int] = set()
        for _, indexes in self.automaton.iter(stream):
            found.update(indexes)
        return found


class _LooseAutomaton(_Automaton):
    def __init__(self, terms: list[tuple[int, Term]]) -> None:
        super().__init__(terms, lambda folded: loose(key(folded)), patterns=lambda term: term.loose_patterns)


class Matcher:
    """All keyword groups of a config, compiled once; ``match`` is called for every article."""

    def __init__(self, keywords: Iterable[Keyword | Group]) -> None:
        self.groups = list(keywords)
        self._order = {g.name: (i, g) for i, g in enumerate(self.groups)}  # a hit's group, in config order
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
        self._loose = _LooseAutomaton([(i, t) for i, t in indexed if t.loose_patterns])
        self._skeletal = _Skeletons(self.terms)

    # ----------------------------------------------------------------------------------------- public

    def match(self, text: str) -> list[Match]:
        """Every match of every group that fires on ``text``, in text order."""
        return self._matches(self._scan(fold_article("", text)))

    def match_and_index(self, text: str) -> tuple[list[Match], str]:
        """``match``, and the text's loose key stream, which the search index keeps (bot/store/search.py): the
        words are keyed once for both."""
        return self.read(fold_article("", text))

    def read(self, article: Folded) -> tuple[list[Match], str]:
        """``match_and_index`` of an article already folded and split (``fold_article``)."""
        return self._matches(self._scan(article)), article_keys(article)

    def _matches(self, hits: list[Hit]) -> list[Match]:
        matches = []
        for explanation in self._explained(hits, only_hit=True):
            if explanation.matched:
                for hit in explanation.hits[:MAX_MATCHES_PER_GROUP]:
                    matches.append(Match(explanation.group, hit.term.text, hit.found, hit.start, hit.end))
        return sorted(matches, key=lambda m: (m.start, m.keyword))

    def explain(self, text: str) -> list[Explanation]:
        return self._evaluate(text)

    # --------------------------------------------------------------------------------------- internal

    def _evaluate(self, text: str, only_hit: bool = False) -> list[Explanation]:
        return self._explained(self.find(text), only_hit)

    def _explained(self, hits: list[Hit], only_hit: bool = False) -> list[Explanation]:
        by_group: dict[str, dict[str, list[Hit]]] = defaultdict(lambda: defaultdict(list))
        for hit in hits:
            by_group[hit.term.group][hit.term.role].append(hit)
        out = []
        groups = sorted((self._order[name] for name in by_group), key=lambda g: g[0]) if only_hit else None
        for group in [g for _, g in groups] if groups is not None else self.groups:
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
        return self._scan(fold_article("", text))

    def _scan(self, article: Folded) -> list[Hit]:
        """The hits in an article folded and split (``fold_article``)."""
        text, seen, text_words = article.text, article.seen, article.words
        candidates = self._variant.candidates_in("#" + "#".join(keys_of(text_words)) + "#")
        if not self._exact.empty:
            candidates |= self._exact.candidates_in("#" + "#".join(text_words) + "#")  # ``plain`` of the text
        loose_readings: dict[bool, set[int]] = {}  # open endings -> the terms the loose reading finds
        if not self._loose.empty and _read_loosely(text, seen):
            modes = [True] if "cyrillic" in seen else [False, True] if "latin" in seen and _kurmanji(text) else [False]
            for open_endings in modes:
                loose_readings[open_endings] = self._loose.candidates_in(loose_stream(text_words, open_endings))
        loosely = set().union(*loose_readings.values())
        skeletal = self._skeletal if self._skeletal and seen & {"hebrew", "sorani", "persian"} else None
        if not candidates and not loosely and not skeletal:
            return []
        tokens = _tokens(text)
        terms = [self.terms[i] for i in sorted(candidates)]
        hits: list[Hit] = []
        hits += _confirm_keyed(text, tokens, [t for t in terms if not t.arabic or t.exact])
        hits += _confirm_arabic(text, tokens, [t for t in terms if t.arabic and not t.exact])
        for open_endings, found in loose_readings.items():
            taken = {(id(h.term), h.start) for h in hits}
            hits += [h for h in _confirm_loose(text, tokens, [self.terms[i] for i in sorted(found)], open_endings)
                     if (id(h.term), h.start) not in taken]  # fmt: skip
        if skeletal:
            taken = {(id(h.term), h.start) for h in hits}
            hits += [h for h in _confirm_skeletons(text, tokens, skeletal, "sorani" in seen, "persian" in seen)
                     if (id(h.term), h.start) not in taken]  # fmt: skip
        return sorted(hits, key=lambda h: h.start)


def _tokens(text: str) -> list[tuple[int, int, str]]:
    """The text's words with their spans; a French elided article (d', l', qu') is not part of the next word,
    and a Hebrew article written apart (א-זור, אל-מיאדין) is part of it."""
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    if "'" not in text and "’" not in text and (text.isascii() or not HEBREW.search(text)):
        return tokens  # no elision, no Hebrew article or geresh: most texts
    out: list[tuple[int, int, str]] = []
    for start, end, token in tokens:
        if "'" in token or "’" in token:
            elided = _ELIDED.match(token)
            if elided:
                start, token = start + elided.end(), token[elided.end() :]
        if out and out[-1][2][-1:] in "אל" and _HEBREW_ARTICLE.match(out[-1][2]) and text[out[-1][1] : start] in (
            "-", "\u05be",
        ):  # fmt: skip
            article = out.pop()
            start, token = article[0], article[2] + token
        if text[end : end + 1] in _GERESH and token[-1:] in "גזצתחא":  # מנבג', אלנג'באא': the geresh ends it
            end, token = end + 1, token + text[end]
        out.append((start, end, token))
    return out


@lru_cache(maxsize=4096)
def _breaks(gap: str) -> bool:
    """Whether a name may not span ``gap`` (what lies between two of its words): any punctuation but a hyphen or
    dash (Deir ez-Zor), an underscore (#Deir_ez_Zor) and an apostrophe; and the few symbols used as separators."""
    for char in gap:
        if char in _JOINERS:
            continue
        category = unicodedata.category(char)
        if (category[0] == "P" and category not in ("Pd", "Pc")) or char in "|•·#/\\+*=<>~^$%&@":
            return True
    return False


def _broken(text: str, tokens: list, i: int, j: int) -> bool:
    gap = text[tokens[i][1] : tokens[j][0]]
    return bool(gap) and not gap.isspace() and _breaks(gap)


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
            if not exact and len(tokens[i][2]) < 2:  # a one-letter word (à, a, û) never starts a name
                i += 1
                continue
            if not exact and _TURKISH_LETTERS & set(tokens[i][2]) and not tokens[i][2][:1].isupper():
                i += 1  # kamışlı (reedy) is not Kamışlı: Turkish spells names with a capital
                continue
            acc, best = "", None
            for j in range(i, len(tokens)):
                if j > i and _broken(text, tokens, j - 1, j):
                    break
                joined = join(acc, token_of(tokens[j][2]))
                if j > i and joined == acc and not exact:  # a word that adds nothing is not part of the name
                    break
                acc = joined
                if acc not in prefixes:
                    break
                if acc in wanted and (exact or len(tokens[j][2]) >= 2):
                    best = (j, wanted[acc])
            if best is not None and best[0] > i and not exact and _false_article(tokens[i][2]):
                i += 1  # German "Aus Sindschar": aus reads like the article as-, but is not one
                continue
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


@lru_cache(maxsize=200_000)
def _kurmanji(text: str) -> bool:
    """Kurmanji Kurdish ends names in its own vowels (Qamişlo for Qamishli), so its names are also read without
    their final vowel: told by its ê with ş (Turkish has ş, French ê, neither both), or its commonest words."""
    lowered = text[:2000].casefold()
    return ("ê" in lowered and "ş" in lowered) or language_of(text) == "ku"


@lru_cache(maxsize=50_000)
def _token_loose(token: str, open_endings: bool = False) -> str:
    return loose_stream(words(token_fold(token)), open_endings).strip("#").replace("#", "")


_MARKED = frozenset("qxêîûşçığQXÊÎÛŞÇİĞ'’")  # what a short name read loosely must show: Reqa, not Rakı
_CONSONANT = re.compile("[^VAIO#]")
_TURKISH_LETTERS = frozenset("şığ")
_ARTICLE_KEYS = frozenset(token_key(w) for w in ARTICLE_WORDS)


def _false_article(token: str) -> bool:
    """A word that reads as an article (its key is an article's) without being one."""
    return token_key(token) in _ARTICLE_KEYS and token_fold(token) not in ARTICLE_WORDS


def _confirm_loose(text: str, tokens: list, terms: list[Term], open_endings: bool = False) -> list[Hit]:
    """Latin terms by their loose keys (other languages' spellings): the longest run of whole tokens whose joined
    loose key is one of a term's, starting on a capitalised word (a name is a proper noun) or a lowercase article
    before one (al-Majadin). A short name (two consonants) must also show a letter of the language whose spelling
    it is (q, x, ê, ş, ı ...), a Turkish suffix, or be in Cyrillic: Reqa, not the Turkish rakı."""
    wanted: dict[str, list[Term]] = defaultdict(list)
    prefixes: set[str] = set()
    for term in terms:
        for k in term.loose_keys:
            wanted[k].append(term)
            prefixes.update(k[:n] for n in range(1, len(k) + 1))
    hits = []
    i = 0
    while i < len(tokens):
        token = tokens[i][2]
        capital = token[:1].isupper() or (
            token_fold(token) in ARTICLE_WORDS and i + 1 < len(tokens) and tokens[i + 1][2][:1].isupper()
        )
        if not capital or len(token) < 2:
            i += 1
            continue
        acc, best = "", None
        for j in range(i, len(tokens)):
            if j > i and _broken(text, tokens, j - 1, j):
                break
            joined = join_loose(acc, _token_loose(tokens[j][2], open_endings))
            if j > i and joined == acc:  # a word that adds nothing (ou, û) is not part of the name
                break
            acc = joined
            if acc not in prefixes:
                break
            if acc in wanted and len(tokens[j][2]) >= 2:
                best = (j, wanted[acc], acc)
        if best is not None and len(_CONSONANT.findall(best[2])) <= 2:
            span = text[tokens[i][0] : tokens[best[0]][1]]
            if not (_MARKED & set(span) or CYRILLIC.search(span)):
                best = None
        if best is None:
            i += 1
            continue
        j, found_terms, _ = best
        start, end = tokens[i][0], tokens[j][1]
        hits.extend(Hit(term, start, end, text[start:end], "loose") for term in found_terms)
        i = j + 1
    return hits


# Sorani writes postpositions and clitics onto a name (ڕەققەدا, کەرکووکەوە, حیزبوڵڵایان): -دا -وه -ه -يان -ان
_SORANI_ENDINGS = ("يان", "دان", "دا", "وه", "ان", "ه")


@lru_cache(maxsize=50_000)
def _skeleton_readings(token: str, kurdish: bool = False) -> frozenset[str]:
    """A Hebrew, Sorani or Persian token's consonant skeletons: as written; without one or two attached prefix
    letters (Hebrew's ו ב ל מ ה ש כ: בחיזבאללה; و otherwise); in a Sorani text, without a postposition or clitic
    written onto it, and with ه read as the vowel ە (older Sorani spelling: دێرهزور)."""
    folded = token_fold(token)
    forms = {folded}
    if kurdish:
        forms |= {folded[: -len(e)] for e in _SORANI_ENDINGS if folded.endswith(e) and len(folded) - len(e) >= 3}
        forms |= {f[:1] + f[1:-1].replace("ه", "") + f[-1:] for f in list(forms)}
    prefixes = HEBREW_PREFIXES if HEBREW.search(token) else ("و",)
    for form in list(forms):
        for first in prefixes:
            if form.startswith(first) and len(form) >= 4:
                forms.add(form[1:])
                forms.update(form[2:] for second in prefixes if form[1:].startswith(second) and len(form) >= 5)
    readings = {r for r in map(skeleton, forms) if r}
    if kurdish or HEBREW.search(token):  # ڕەققە, רקה: the final vowel letter may stand for ة
        readings |= {r + "ه" for r in readings if not r.endswith("ه")}
    return frozenset(readings)


@lru_cache(maxsize=50_000)
def _fused_readings(token: str, kurdish: bool = False) -> frozenset[tuple[str, str]]:
    """Two words written as one with the article between them (תחריר-א-שאם, تحریرالشام, חיזבאללה): the
    skeletons of both halves, the second with its article."""
    folded = token_fold(token)
    pairs = set()
    for at in range(2, len(folded) - 3):
        if folded.startswith("ال", at):
            for left in _skeleton_readings(folded[:at], kurdish):
                pairs.update((left, right) for right in _skeleton_readings(folded[at:], kurdish))
    return frozenset(pairs)


class _Skeletons:
    """The Arabic terms by the skeleton of their first word, and of their first words written as one."""

    def __init__(self, terms: list[Term]) -> None:
        self.by_head: dict[str, list[tuple[Term, tuple[str, ...]]]] = defaultdict(list)
        self.by_joined: dict[str, set[str]] = defaultdict(set)
        for term in terms:
            for shape in term.skeletons:
                self.by_head[shape[0]].append((term, shape))
                for n in range(2, len(shape) + 1):
                    self.by_joined[_joined(shape[:n])].add(shape[0])

    def __bool__(self) -> bool:
        return bool(self.by_head)


def _confirm_skeletons(text: str, tokens: list, index: _Skeletons, sorani: bool = False,
                       persian: bool = False) -> list[Hit]:  # fmt: skip
    """Arabic terms in Hebrew tokens, and in every Arabic-script token of a Sorani or Persian text, by their
    consonants word by word (bot/text/normalise.py)."""
    by_head, by_joined = index.by_head, index.by_joined
    hits = []
    for i, (start, _, token) in enumerate(tokens):
        if not (HEBREW.search(token) or (sorani and "\u0621" <= token[:1] <= "\u06ff") or SORANI.search(token)
                or (persian and "\u0621" <= token[:1] <= "\u06ff")):  # fmt: skip
            continue
        persian_only = not (sorani or SORANI.search(token) or HEBREW.search(token))
        readings = _skeleton_readings(token, sorani)
        heads = readings | {left for left, _ in _fused_readings(token, sorani)}
        heads |= {head for reading in readings for head in by_joined.get(reading, ())}
        for head in heads:
            for term, shape in by_head.get(head, ()):
                last = _fit(text, tokens, i, shape, sorani)
                if last is None or (persian_only and not _persian_fit(term, shape, tokens[last][2])):
                    continue
                hits.append(Hit(term, start, tokens[last][1], text[start : tokens[last][1]], "skeleton"))
    return _longest(hits)


def _fit(text: str, tokens: list, i: int, shape: tuple[str, ...], sorani: bool) -> int | None:
    """The last of the tokens from ``i`` on that spell ``shape`` word by word (two words may be one token)."""
    slot, k = 0, i
    while slot < len(shape):
        if k >= len(tokens) or (k > i and _broken(text, tokens, k - 1, k)):
            return None
        token = tokens[k][2]
        readings = _skeleton_readings(token, sorani)
        if shape[slot] in readings:
            slot += 1
        elif slot + 1 < len(shape) and (shape[slot], shape[slot + 1]) in _fused_readings(token, sorani):
            slot += 2
        else:
            joined = [n for n in range(len(shape), slot + 1, -1) if _joined(shape[slot:n]) in readings]
            if not joined:
                return None
            slot = joined[0]
        k += 1
    return k - 1


def _joined(shape: tuple[str, ...]) -> str:
    """Words written as one (חיזבאללה, حیزبوڵڵا): their skeletons run together, a letter doubled at a junction
    written once."""
    return reduce(lambda left, right: left + right[left[-1:] == right[:1] :], shape)


def _persian_fit(term: Term, shape: tuple[str, ...], last: str) -> bool:
    """Persian writes the vowels Arabic writes, so its skeleton readings are kept for names of four consonants or
    more (مدائن is not الميادين), and a final ی the name does not have makes another word: an adjective or
    an indefinite (حزب‌اللهی, فاطمیونی)."""
    if sum(map(len, shape)) < 4:
        return False
    return not token_fold(last).endswith("ي") or any(seq[-1].endswith("ي") for seq in term.sequences)


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


@dataclass(slots=True)
class Folded:
    """An article's title and text folded and split into words once, for matching, search and stories."""

    text: str  # ``article_text``
    seen: frozenset[str]  # its ``features``
    words: list[str]
    title_words: int  # how many of ``words`` are the title's

    @property
    def body_words(self) -> list[str]:
        return self.words[self.title_words :]


def fold_article(title: str, text: str) -> Folded:
    """The title's words are the first lines' (fold keeps every line break, and ``words`` never joins two
    lines): the body's words come without folding the body a second time."""
    whole = article_text(title, text)
    seen = features(whole)
    folded = fold(whole, seen)
    count = 0
    if title:
        lines = title.count("\n") + 1
        count = len(words("\n".join(folded.split("\n", lines)[:lines])))
    return Folded(whole, seen, words(folded), count)


def search_keys(title: str, text: str) -> str:
    """The key stream ``Matcher.match_and_index`` gives an article, without matching it: for articles
    stored before the search index had keys (bot/store/search.py ``index_backlog``)."""
    return article_keys(fold_article(title, text))


def article_keys(article: Folded) -> str:
    """``search_keys`` of an article already folded."""
    return index_stream(article.text, article.words, article.seen)


def index_stream(text: str, text_words: list[str], seen: frozenset[str]) -> str:
    """What the search index keeps of a text: its words' keys as the alerts read them. Loose keys where the
    loose reading applies (another language's spelling), else strict ones, which are less alike: a search for
    Dizen must not confirm every English "dozen"."""
    if _read_loosely(text, seen):
        return loose_stream(text_words, "cyrillic" in seen)
    return "#" + "#".join(keys_of(text_words)) + "#"


def _read_loosely(text: str, seen: frozenset[str]) -> bool:
    """Whether ``text`` shows another language's spelling: letters English does not use, Cyrillic, or the
    common words of German, French, Turkish or Kurdish."""
    return bool(seen & {"latin", "cyrillic"}) or (text.isascii() and other_language(text))


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


def spelling(hit: Hit, text: str = "") -> str:
    """How ``hit`` was read, in a few words, for ``wirewatch explain``: the script or language whose spelling it
    is (Turkish spelling, suffix -da; Russian, in Cyrillic; Hebrew letters for Arabic ones; Sorani Kurdish), or
    whether it is the term as written or one of its transliteration variants."""
    found = hit.found
    notes = []
    if CYRILLIC.search(found):
        notes.append("Russian, in Cyrillic")
    elif HEBREW.search(found):
        notes.append("Hebrew letters for Arabic ones" + (", by its consonants" if hit.how == "skeleton" else ""))
    elif SORANI.search(found):
        notes.append("Sorani Kurdish" + (", by its consonants" if hit.how == "skeleton" else ""))
    elif hit.how == "skeleton":
        notes.append("Persian or Kurdish spelling, by its consonants")
    elif hit.how == "loose":
        notes.append(f"{spelling_language(found, text)} spelling")
    suffix = suffix_of(found)
    if suffix:
        notes.append(f"{'Turkish ' if not notes else ''}suffix -{suffix}")
    if not notes:
        same = fold(found).replace("-", " ").split() == fold(hit.term.text).replace("-", " ").split()
        notes.append("same spelling" if same else "variant")
    return ", ".join(notes)

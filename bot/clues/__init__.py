"""One event told in two languages: the clues of a report, and the rule that says two reports are one event.

A copy of a text is one story by its words (bot/stories.py). An Arabic and an English report of one event share
no words, but they share what the event is made of: where (the same town, named in each language's spelling,
through one gazetteer: places.py), what (a drone strike, an IED, clashes: lexicon.py KINDS), who (the SDF, ISIS
cells, Iranian-backed militias: ACTORS) and how many (the dead, the vehicles, the arrested: digits of any script
and number words). This is how the Europe Media Monitor links its clusters across 19 languages, by shared places,
names and figures within a few days, without translating anything.

**The rule.** A report about to raise an alert, and a report alerted in the last two days, in the other script,
published within ``WINDOW`` of it and naming one of its places, are one event when all of these hold:

- they share a place (where one says it happened, the other names it) and a kind of event (or, both told in their
  headlines and ledes, kinds of one family: a seizure of smuggled goods and an arrest raid; lexicon.FAMILIES);
- they share a detail beyond "that kind of thing in that town": a figure, a proper name, or two actors (or the
  score reaches ``NO_DETAIL``, 5.5: a village both name, the kind and the watched group);
- no specific place where one says it happened goes unnamed by the other;
- ``score >= THRESHOLD`` (4.5), the score adding each shared clue by how much it says:

- a shared place by its size (``place_weight``: a village 3.0, a town 2.5, a city 1.5, a metropolis 1.0): every
  report of the day names Mosul, few name al-Shuhayl; half that when only one of them says it happened there;
- a shared kind 1.5, each shared actor 0.75 (two at most), the shared watched group 1.0, each shared proper name
  1.25 (two at most: the Wasiti district, الواسطي; names.py);
- each shared figure by how rare it is: 1 and 2 are 0.5, 3 to 9 are 2.0, 10 and more 2.5 (years and the days of
  dates are not figures);

and takes off what tells two events apart, since a wrong merge hides an event from the analyst:

- kinds on both sides, none shared and of no common family: -3.0 (the drone strike and the arrest campaign in one
  town on one day); two
  headlines that name kinds of no common family (lexicon.FAMILIES): never the same event (a Turkish drone strike
  and Turkish shelling in one town);
- a place where one report says it happened (the places its headline names, else the towns and villages of its
  lede) that the other never names: never the same event (a drone strike in Hajin and another in al-Mayadin; an
  IED in al-Mayadin and a car bomb in Deir ez-Zor city);
- counts of 3 or more in both ledes and no figure shared: -3.0 (two IEDs on one road: 3 dead and 7 wounded; the
  lede's, since the rest of a report brings ages, distances and earlier tolls); a lede's count of 3 or more that
  the other report, which gives counts of its own, never gives: -1.5.

``THRESHOLD`` and the weights were set on tests/data/crosslang (events written independently in each language,
with distractors of the same place and day and of the same kind elsewhere): bench/crosslang.py reports precision
and recall there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.clues.gazetteer import Place
from bot.clues.lexicon import ACTORS, AR_DUAL_NOUNS, AR_NUMBERS, AR_TEENS, EN_NUMBERS, FAMILIES, KINDS, MONTHS
from bot.clues.names import names_in
from bot.clues.places import places_at, word_count
from bot.text.normalise import fold

WINDOW = 24 * 3600.0  # seconds between the two reports' publication
THRESHOLD = 4.5
NO_DETAIL = 5.5  # the score that stands for a detail: a village's name, the kind and the watched group
KIND_WEIGHT, ACTOR_WEIGHT, GROUP_WEIGHT, NAME_WEIGHT = 1.5, 0.75, 1.0, 1.25
KIND_CONFLICT, FIGURE_CONFLICT, UNCONFIRMED = -3.0, -3.0, -1.5
SPECIFIC = 100_000  # a place smaller than this is specific: two reports naming two of them are at two places

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"(?<![\d.,:/])(\d{1,4})(?![\d:/]|[.,]\d)")
_MONTH = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\b")
_EN_WORDS = re.compile(r"\b(" + "|".join(sorted(EN_NUMBERS, key=len, reverse=True)) + r")\b")
_AR_WORDS = re.compile(r"(?<![\u0621-\u064a])(?:[وب])?(" + "|".join(sorted([*AR_TEENS, *AR_NUMBERS], key=len,
                       reverse=True)) + r")(?![\u0621-\u064a])")  # fmt: skip


_AR_DUAL = re.compile(
    r"(?<![\u0621-\u064a])(?:ال|و|ب)?(?:" + "|".join(AR_DUAL_NOUNS) + r")(?:ان|ين|تان|تين)(?![\u0621-\u064a])"
)


def _stems(table: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> dict[str, tuple[re.Pattern, tuple]]:
    out = {}
    for name, (english, arabic) in table.items():
        # a stem matches at a word's start; one written with a final "$" is a whole word (firefight$, not firefighter)
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(s[:-1]) + r"\b" if s.endswith("$") else re.escape(s)
                                                  for s in english) + ")")  # fmt: skip
        out[name] = (pattern, tuple(fold(s) for s in arabic))
    return out


_KINDS, _ACTORS = _stems(KINDS), _stems(ACTORS)


@dataclass(frozen=True, slots=True)
class Clues:
    places: frozenset[Place] = frozenset()  # where the headline and lede say it happened
    kinds: frozenset[str] = frozenset()  # what the headline and lede say happened (else anywhere)
    actors: frozenset[str] = frozenset()
    figures: frozenset[int] = frozenset()
    named: frozenset[Place] = frozenset()  # every place the report names, background included
    counts: frozenset[int] = frozenset()  # the figures of the lede: the event's own (the dead, the wounded)
    names: frozenset[str] = frozenset()  # proper names' consonant skeletons (names.py): a district, a company
    headline: frozenset[str] = frozenset()  # the kinds the headline names
    told: bool = False  # the kinds are the headline's and lede's (not found further down only)
    at: frozenset[Place] = frozenset()  # the places the headline names: where it happened, if it says


@dataclass(slots=True)
class Verdict:
    score: float
    same: bool
    reasons: list[str] = field(default_factory=list)


LEDE_WORDS = 60  # the title and the first words of the text: where a report says what happened, and where


def _lede(title: str, text: str) -> str:
    return f"{title}\n{' '.join(text.split(maxsplit=LEDE_WORDS)[:LEDE_WORDS])}"


def read(title: str, text: str, placed_only: bool = False) -> Clues | None:
    """The clues of a report (its title and its own text). A report tells its event in its headline and lede and
    adds background after them (an earlier drone strike, the town next door): the event's kind is the headline's
    (else the lede's, else the report's), its place the lede's. ``placed_only``: None for a report whose headline
    and lede name no place, before the rest is read (the rule's anchor is a place where one of them says it
    happened, so nothing could link it; a tenth of the reading's cost to know)."""
    lede = _lede(title, text)
    in_lede_places, in_lede = places_at(lede)
    if placed_only and not in_lede_places:
        return None
    whole = f"{title}\n{text}"
    folded, folded_lede = fold(whole), fold(lede)
    found, _ = places_at(whole)  # one reading: the title's and the lede's places are the first ones
    in_title = word_count(title)
    named = frozenset(place for _, place in found)
    where = frozenset(place for i, place in found if i < in_lede)
    at = frozenset(place for i, place in found if i < in_title)
    headline = _found(_KINDS, fold(title))
    told = headline | _found(_KINDS, folded_lede)
    kinds = told or _found(_KINDS, folded)
    return Clues(
        where,
        kinds,
        _found(_ACTORS, folded),
        _figures(folded),
        named,
        _figures(folded_lede),
        names_in(whole),
        headline,
        bool(told),
        at,
    )


def _found(table: dict[str, tuple[re.Pattern, tuple]], folded: str) -> frozenset[str]:
    return frozenset(name for name, (english, arabic) in table.items()
                     if english.search(folded) or any(stem in folded for stem in arabic))  # fmt: skip


def _figures(folded: str) -> frozenset[int]:
    text = folded.translate(_DIGITS)
    out = set()
    for match in _NUMBER.finditer(text):
        number = int(match.group(1))
        around = text[max(0, match.start() - 12) : match.end() + 12]
        if 1900 <= number <= 2100 or _MONTH.search(around):  # a year, or a date's day
            continue
        out.add(number)
    out.update(EN_NUMBERS[m.group(1)] for m in _EN_WORDS.finditer(text))
    out.update(AR_TEENS.get(m.group(1)) or AR_NUMBERS[m.group(1)] for m in _AR_WORDS.finditer(text))
    if _AR_DUAL.search(text):
        out.add(2)
    return frozenset(n for n in out if n > 0)


def _here(clues: Clues) -> set[Place]:
    """Where a report says it happened: its headline's towns and villages, else its headline's places, else its
    lede's towns and villages (a road "between al-Mayadin and Deir ez-Zor" is al-Mayadin's)."""
    specific = {p for p in clues.at if p.population < SPECIFIC}
    return specific or set(clues.at) or {p for p in clues.places if p.population < SPECIFIC}


def _related(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether two sets of kinds share one, or a family (lexicon.FAMILIES: a drone and an airstrike)."""
    return bool(a & b) or any(a & family and b & family for family in FAMILIES)


def place_weight(place: Place) -> float:
    if place.population >= 500_000:
        return 1.0
    if place.population >= SPECIFIC:
        return 1.5
    return 2.5 if place.population >= 10_000 else 3.0


def figure_weight(number: int) -> float:
    return 0.5 if number < 3 else 2.0 if number < 10 else 2.5


def score(a: Clues, b: Clues, shared_groups: int = 0) -> Verdict:
    """Whether two reports (in different languages, within the window, alerting one group) are one event."""
    reasons: list[str] = []
    total = 0.0
    places = a.places & b.places
    if places:
        best = max(places, key=place_weight)
        total += place_weight(best)
        reasons.append(f"place {best.name} +{place_weight(best):g}")
    elif (a.places & b.named) or (b.places & a.named):  # where one says it happened, the other mentions
        best = max((a.places & b.named) | (b.places & a.named), key=place_weight)
        total += place_weight(best) / 2
        places = {best}
        reasons.append(f"place {best.name} (mentioned) +{place_weight(best) / 2:g}")
    kinds, actors, figures = a.kinds & b.kinds, a.actors & b.actors, a.figures & b.figures
    counted = places | (a.named & b.named)  # a place's own name counts once, as the place
    names = (a.names & b.names) - {s for place in counted for s in place.skeletons}
    total += NAME_WEIGHT * min(2, len(names))
    total += (
        KIND_WEIGHT * min(1, len(kinds)) + ACTOR_WEIGHT * min(2, len(actors)) + GROUP_WEIGHT * min(1, shared_groups)
    )
    total += sum(figure_weight(n) for n in figures)
    for label, shared in (("kind", kinds), ("actor", actors), ("figure", figures), ("name", names)):
        if shared:
            reasons.append(f"{label} {', '.join(map(str, sorted(shared)))}")
    if not kinds and a.told and b.told and _related(a.kinds, b.kinds):
        kinds = frozenset({"~" + "/".join(sorted(a.kinds | b.kinds))})  # two ledes, two words for one event
    if a.kinds and b.kinds and not kinds and not _related(a.kinds, b.kinds):
        total += KIND_CONFLICT
        reasons.append(f"kinds differ ({', '.join(sorted(a.kinds))} / {', '.join(sorted(b.kinds))})")
    # where each says it happened: its headline's places, else the towns and villages of its lede ("X, north of
    # Tikrit" in a lede names Tikrit as a landmark; a headline names the place itself)
    here_a = _here(a)
    here_b = _here(b)
    elsewhere = (here_a and not here_a & b.named) or (here_b and not here_b & a.named)
    if elsewhere:  # one says it happened in a town the other never names: two events, whatever else they share
        reasons.append("places differ")
    salient_a, salient_b = {n for n in a.counts if n >= 3}, {n for n in b.counts if n >= 3}
    if salient_a and salient_b and not a.figures & b.figures:
        total += FIGURE_CONFLICT
        reasons.append("figures differ")
    elif (salient_a and b.counts and not salient_a & b.figures) or (
        salient_b and a.counts and not salient_b & a.figures
    ):
        total += UNCONFIRMED
        reasons.append("a count the other does not give")

    # beyond "the same kind of thing in the same town": a detail, or a village (or smaller) both tell it in
    detail = bool(figures or names) or len(actors) >= 2 or total >= NO_DETAIL
    told_apart = bool(a.headline and b.headline and not _related(a.headline, b.headline))
    if told_apart:
        reasons.append(f"headlines differ ({', '.join(sorted(a.headline))} / {', '.join(sorted(b.headline))})")
    same = total >= THRESHOLD and bool(places) and bool(kinds) and detail and not elsewhere and not told_apart
    return Verdict(total, same, reasons)

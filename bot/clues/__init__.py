"""One event told in two languages: the clues of a report, and the rule that says two reports are one event.

A copy of a text is one story by its words (bot/stories.py). An Arabic and an English report of one event share
no words, but they share what the event is made of: where (the same town, named in each language's spelling,
through one gazetteer: places.py), what (a drone strike, an IED, clashes: lexicon.py KINDS), who (the SDF, ISIS
cells, Iranian-backed militias: ACTORS) and how many (the dead, the vehicles, the arrested: digits of any script
and number words). This is how the Europe Media Monitor links its clusters across 19 languages, by shared places,
names and figures within a few days, without translating anything.

**The rule.** Two reports in different languages, published within ``WINDOW`` of each other, whose alert shares a
watched keyword group, are one event when ``score >= THRESHOLD`` and they share at least one place or watched
group *and* at least one kind or figure. The score adds each shared clue by how much it says:

- a shared place: ``PLACE_WEIGHT`` by its size (a village 3.0, a town 2.5, a city 1.5, a metropolis 1.0): every
  report of the day names Mosul, few name al-Shuhayl;
- each shared kind 1.5, each shared actor 0.75 (two at most), the shared watched group 1.0;
- each shared figure by how rare it is: 1 and 2 are 0.5, 3 to 9 are 2.0, 10 and more 2.5 (years and the days of
  dates are not figures);

and takes off what tells two events apart, since a wrong merge hides an event from the analyst:

- kinds on both sides and none shared: -3.0 (the drone strike and the arrest campaign in one town on one day);
- specific places (towns and villages) on both sides and none shared: -3.0 (a drone strike in Hajin, another in
  al-Mayadin);
- figures of 3 or more on both sides and none shared: -3.0 (two IEDs on one road: 3 dead and 7 wounded).

``THRESHOLD`` and the weights were set on tests/data/crosslang (events written independently in each language,
with distractors of the same place and day and of the same kind elsewhere): bench/crosslang.py reports precision
and recall there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.clues.lexicon import ACTORS, AR_NUMBERS, AR_TEENS, EN_NUMBERS, KINDS, MONTHS
from bot.clues.places import Place, places_in
from bot.text.normalise import fold

WINDOW = 24 * 3600.0  # seconds between the two reports' publication
THRESHOLD = 4.5
KIND_WEIGHT, ACTOR_WEIGHT, GROUP_WEIGHT = 1.5, 0.75, 1.0
KIND_CONFLICT, PLACE_CONFLICT, FIGURE_CONFLICT = -3.0, -3.0, -3.0
SPECIFIC = 100_000  # a place smaller than this is specific: two reports naming two of them are at two places

_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_NUMBER = re.compile(r"(?<![\d.,:/])(\d{1,4})(?![\d:/]|[.,]\d)")
_MONTH = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r")\b")
_EN_WORDS = re.compile(r"\b(" + "|".join(sorted(EN_NUMBERS, key=len, reverse=True)) + r")\b")
_AR_WORDS = re.compile(r"(?<![\u0621-\u064a])(?:[وب])?(" + "|".join(sorted([*AR_TEENS, *AR_NUMBERS], key=len,
                       reverse=True)) + r")(?![\u0621-\u064a])")  # fmt: skip


def _stems(table: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]) -> dict[str, tuple[re.Pattern, tuple]]:
    out = {}
    for name, (english, arabic) in table.items():
        pattern = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in english) + ")")
        out[name] = (pattern, tuple(fold(s) for s in arabic))
    return out


_KINDS, _ACTORS = _stems(KINDS), _stems(ACTORS)


@dataclass(frozen=True, slots=True)
class Clues:
    places: frozenset[Place] = frozenset()
    kinds: frozenset[str] = frozenset()
    actors: frozenset[str] = frozenset()
    figures: frozenset[int] = frozenset()


@dataclass(slots=True)
class Verdict:
    score: float
    same: bool
    reasons: list[str] = field(default_factory=list)


def read(title: str, text: str) -> Clues:
    """The clues of a report (its title and its own text)."""
    whole = f"{title}\n{text}"
    folded = fold(whole)
    return Clues(frozenset(places_in(whole)), _found(_KINDS, folded), _found(_ACTORS, folded), _figures(folded))


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
    return frozenset(n for n in out if n > 0)


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
    kinds, actors, figures = a.kinds & b.kinds, a.actors & b.actors, a.figures & b.figures
    total += KIND_WEIGHT * len(kinds) + ACTOR_WEIGHT * min(2, len(actors)) + GROUP_WEIGHT * min(1, shared_groups)
    total += sum(figure_weight(n) for n in figures)
    for label, shared in (("kind", kinds), ("actor", actors), ("figure", figures)):
        if shared:
            reasons.append(f"{label} {', '.join(map(str, sorted(shared)))}")
    if a.kinds and b.kinds and not kinds:
        total += KIND_CONFLICT
        reasons.append(f"kinds differ ({', '.join(sorted(a.kinds))} / {', '.join(sorted(b.kinds))})")
    specific_a = {p for p in a.places if p.population < SPECIFIC}
    specific_b = {p for p in b.places if p.population < SPECIFIC}
    if specific_a and specific_b and not specific_a & specific_b:
        total += PLACE_CONFLICT
        reasons.append("places differ")
    salient_a, salient_b = {n for n in a.figures if n >= 3}, {n for n in b.figures if n >= 3}
    if salient_a and salient_b and not salient_a & salient_b:
        total += FIGURE_CONFLICT
        reasons.append("figures differ")
    anchored = bool(places) or shared_groups > 0
    same = total >= THRESHOLD and anchored and bool(kinds or figures)
    return Verdict(total, same, reasons)

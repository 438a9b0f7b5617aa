"""The gazetteer file, places.json (from GeoNames, built by tools/places.py), as the readers use it: each place, every
name's word forms indexed by their first one, and the word lists that go with them. Read once per process, by
places.py (places in a text) and names.py (proper names); neither imports the other for it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Place:
    id: int
    name: str
    population: int
    skeletons: frozenset[str] = field(default=frozenset(), compare=False, hash=False)  # its words' (names.py)


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """places.json as the readers use it."""

    index: dict[str, list[tuple[tuple[str, ...], Place, bool]]]  # first token -> (the name's tokens, its place,
    # whether it needs a cue before it), for every name
    places: dict[int, Place]  # by id
    not_names: frozenset[str]  # frequent English words that read as a name (Home for Hama): they never start one
    common_arabic: frozenset[str]  # the most frequent Arabic words: never a proper name (names.py)


@cache
def gazetteer() -> Gazetteer:
    data = json.loads((Path(__file__).parent / "places.json").read_text(encoding="utf-8"))
    index: dict[str, list[tuple[tuple[str, ...], Place, bool]]] = {}
    places: dict[int, Place] = {}
    for entry in data["places"]:
        forms = entry["forms"]  # written by tools/places.py (places.read_forms): a quarter second saved at each start
        place = Place(entry["id"], entry["name"], entry["population"], frozenset(forms["skeletons"]))
        places[place.id] = place
        for tokens, cued in forms["names"]:
            index.setdefault(tokens[0], []).append((tuple(tokens), place, cued))
    for candidates in index.values():
        candidates.sort(key=lambda item: -len(item[0]))  # the longest name first: "Deir ez-Zor" before "Deir"
    return Gazetteer(index, places, frozenset(data.get("not_names", ())), frozenset(data.get("common_arabic", ())))

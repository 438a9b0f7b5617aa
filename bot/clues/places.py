"""Place names in English and Arabic text, through one gazetteer (places.json, from GeoNames: tools/places.py).

A place is found by its words: Latin words by their loose key (bot/text/normalise.py: the spellings of the
region's presses meet there, so Mayadeen, al-Mayadin and Meyadin are one), Arabic words by their core (the
article and attached prefixes off: بالميادين, والميادين, الميادين). The article (al-, el-, ez-, ال) is no word of a
name on either side. One-word names that are common words (Hit, an Iraqi town) are left out.
"""

from __future__ import annotations

from bot.clues.gazetteer import Place, gazetteer
from bot.clues.names import arabic_skeleton, latin_skeleton
from bot.text.normalise import arabic_readings, fold, is_arabic, loose_word, token_fold, words

ARTICLES = frozenset({"al", "el", "ad", "ar", "as", "ash", "at", "az", "ed", "er", "es", "et", "ez", "an", "en",
                      "ath", "adh", "ul", "ud", "ur", "us", "uz"})  # fmt: skip
COMMON = frozenset({"hit", "ana", "tal", "tell", "tall", "kafr", "qaryat", "village", "new", "old", "city", "camp",
                    "sur", "zir", "sabha"})  # fmt: skip
_COMMON_KEYS = frozenset(map(loose_word, COMMON))
# A name that is also a common word (حديثة is "recent", هيت a town and nothing else, but Hit is English) is read only
# after a word that says a place follows: "in the town of Hit", مدينة حديثة, قضاء حديثة (tools/places.py: "cued")
CUES = frozenset(
    map(fold, {"مدينه", "بلده", "سد", "جسر", "معبر", "سجن", "مطار", "قاعده", "قريه", "قضاء", "ناحيه", "مخيم", "حي",
               "منطقه", "ريف", "محافظه", "في", "قرب", "شمال", "جنوب", "شرق", "غرب", "شمالي", "جنوبي", "شرقي", "غربي",
               "town", "city", "village", "district", "camp", "of", "in", "near", "outside"})
)  # fmt: skip


def _name_tokens(name: str) -> list[tuple[str, ...]]:
    """A name as word forms, and, for a name of several words, as one word too (البوكمال, Deirezzor)."""
    folded = words(fold(name))
    if not folded:
        return []
    if is_arabic(folded[0]):
        cores = [w[2:] if w.startswith("ال") and len(w) >= 4 else w for w in folded]
        joined = "".join(folded)
        joined = joined[2:] if joined.startswith("ال") and len(joined) >= 4 else joined
        variants = [tuple("a:" + c for c in cores), ("a:" + joined,)]
    else:
        kept = [w for w in folded if w not in ARTICLES]
        variants = [tuple("l:" + loose_word(w) for w in kept), ("l:" + loose_word("".join(folded)),),
                    ("l:" + loose_word("".join(kept)),)]  # fmt: skip
    return list(dict.fromkeys(v for v in variants if v and all(len(t) > 2 for t in v)))


def read_forms(entry: dict) -> dict:
    """A place's names as the index reads them (each name's word forms, and whether it needs a cue) and its words'
    consonant skeletons (names.py). tools/places.py stores them in places.json; a test checks they are current."""
    spelled = [w for name in (*entry["latin"], *entry["arabic"]) for w in words(name)]
    skeletons = sorted({arabic_skeleton(fold(w)) if is_arabic(fold(w)) else latin_skeleton(w) for w in spelled})
    seen: set[tuple[str, ...]] = set()
    names = []
    written = [(n, False) for n in (*entry["latin"], *entry["arabic"])] + [(n, True) for n in entry.get("cued", ())]
    for name, cued in written:
        for tokens in _name_tokens(name):
            if tokens and tokens not in seen and not _too_common(tokens):
                seen.add(tokens)
                names.append([list(tokens), cued])
    return {"names": names, "skeletons": skeletons}


def _too_common(tokens: tuple[str, ...]) -> bool:
    if len(tokens) > 1:
        return False
    kind, word = tokens[0][:2], tokens[0][2:]
    return len(word) < 3 or (kind == "l:" and word in _COMMON_KEYS)


def _text_tokens(text: str) -> list[tuple[frozenset[str], int, str]]:
    """Each word of the text as the forms a name's word may take there, and whether a name may start at it: an
    Arabic word, or a capitalised Latin one (the loose key of "home" is Hama's); and the word before it."""
    not_names = gazetteer().not_names
    capitalised = {token_fold(w) for w in words(text) if w[:1].isupper()}
    out = []
    before = ""
    for word in words(fold(text)):
        if is_arabic(word):
            cores, prefixed = arabic_readings(word)
            out.append((frozenset("a:" + f.lstrip("=") for f in (*cores, *prefixed)), 2, before))
        elif word in ARTICLES:
            continue
        else:
            # a capitalised word starts a name; one that reads as a name and is a common word (Home, Tel) only a name
            # of several words (Tel Afar)
            start = (2 if word not in not_names else 1) if word in capitalised else 0
            out.append((frozenset({"l:" + loose_word(word)}), start, before))
        before = word
    return out


def word_count(text: str) -> int:
    """How many of ``places_at``'s positions a text takes (a prefix of a text takes the same first ones)."""
    return len(_text_tokens(text))


def places_at(text: str) -> tuple[list[tuple[int, Place]], int]:
    """Each place the text names, with the position of its first word; and how many positions the text has."""
    index = gazetteer().index
    tokens = _text_tokens(text)
    found: list[tuple[int, Place]] = []
    i = 0
    while i < len(tokens):
        forms, may_start, before = tokens[i]
        longest, here = 0, set()
        for form in forms if may_start else ():
            for name, place, cued in index.get(form, ()):
                if len(name) < longest:
                    break  # the candidates are sorted longest first: a shorter name is part of a longer one
                if (cued and before not in CUES) or (may_start < 2 and len(name) == 1):
                    continue
                if all(i + j < len(tokens) and name[j] in tokens[i + j][0] for j in range(1, len(name))):
                    longest = len(name)
                    here.add(place)
        # every place the words may name: al-Busaira is al-Busayrah's key and Basra's
        found += [(i, place) for place in here]
        i += max(1, longest)
    return found, len(tokens)

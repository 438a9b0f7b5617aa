"""A configured term -> every spelling it should match, as phonetic keys and Arabic word cores.

Rules that generalise, not lists of aliases:

- Latin: the Arabic article is optional and takes every form: dropped, ``al-``/``el-``/``ul-``, or
  assimilated before a sun letter (``ez-Zor``, ``ar-Raqqa``, ``an-Nujaba``), joined, hyphenated or spaced.
  The term also matches with an article it was written without (``Nujaba`` ~ ``al-Nujaba``). Vowels,
  glides, doubled letters and word boundaries are folded by ``normalise.key``.
- Arabic: the article ``ال`` is optional on every word; the first word may carry the attached prefixes
  و ف (and), ب ك ل (in, like, for) and the contraction لل; a two-word name may be written joined
  (ديرالزور, حزب‌الله; Sorani joins it without the article: دێرەزور) and a joined one apart; a sound plural in -ون
  also reads -ين (الفاطميين).
- The particle Abu in every form: Abu, Abou, Ebu, Bu, Albu, joined or apart (Al-Bukamal, Abu Kamal, Ebu Kemal,
  Boukamal; البوكمال, أبو كمال, אבו כמאל).

Other languages' spellings (bot/text/scripts.py brings their scripts into these two):

- ``loose_keys``: the term's keys read loosely (``normalise.loose``: one vowel class; c = j; y = j; z = s; v = w;
  ch = sh; kh = h; gh = g), with the endings other languages put on a name (Kurmanji oblique -ê/-yê, Russian case
  endings -а -у -е -ом) and without an English epenthetic vowel (Jarabulus ~ Cerablus, Jarablus). Matched only
  in a text with letters that English does not use, on a capitalised word (bot/match.py).
- ``skeletons``: an Arabic term's consonants, word by word, for Hebrew and Sorani texts, which write the vowels
  Arabic leaves out (bot/text/normalise.py ``skeleton``).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass, field

from bot.text.normalise import (
    CONJUNCTIONS,
    FINAL_CLASSES,
    PREPOSITIONS,
    fold,
    is_arabic,
    join_keys,
    join_loose,
    key,
    loose_stream,
    plain,
    skeleton,
    without_article,
)
from bot.text.normalise import words as split_words

# Sun letters as transliterated: the article assimilates to them (ad-Dawla, ash-Sham, az-Zawr, ...).
_SUN = ("th", "dh", "sh", "t", "d", "r", "z", "s", "n", "l")
ARTICLE_WORDS = frozenset({"al", "el", "ul", "il", "a", "e", "i", *(v + sun for v in "aeiu" for sun in _SUN)})
_ARTICLES = {"al", "el", "ul", "il"}
# Every way the Arabic article is written apart: al, el, ul, il; assimilated (ad-, as-, ash-, az- ...); a- and e-
# (Hebrew and French renderings: Deir a-Zor); and the Turkish izafet -i (Ehl-i Hak, Deyr-i Zor).
_GLIDE_PLURAL = re.compile(r"([ie])[yw](?=[ou])")  # Fatemiyoun ~ Fatimioun ~ Fatimyon: the -iyoun glide drops
_LATIN_ARTICLE_FORMS = ("", "al", "el")  # vowel classes make ul = al and il = el
_INNER_ARTICLE_FORMS = ("a",)  # between a name's words only: Deir a-Zor (a Hebrew and French rendering)
_ARABIC_PREFIXES = ("", *CONJUNCTIONS, *PREPOSITIONS, *(c + p for c in CONJUNCTIONS for p in PREPOSITIONS))


@dataclass(frozen=True)
class Term:
    """One configured term, compiled."""

    text: str  # as the user wrote it
    group: str
    role: str  # "term", "require" or "exclude"
    exact: bool
    arabic: bool
    keys: frozenset[str] = frozenset()  # Latin or exact: whole-match keys (phonetic, or plain when exact)
    sequences: tuple[tuple[str, ...], ...] = ()  # Arabic: the name's word sequences, as written (folded)
    patterns: frozenset[str] = field(default=frozenset(), repr=False)  # what the pre-filter looks for
    loose_keys: frozenset[str] = field(default=frozenset(), repr=False)  # Latin: whole-match loose keys
    loose_patterns: frozenset[str] = field(default=frozenset(), repr=False)  # ... and the loose pre-filter's
    skeletons: tuple[tuple[str, ...], ...] = field(default=(), repr=False)  # Arabic: consonants, word by word


@functools.lru_cache(maxsize=4096)  # a Term is immutable: the service and search compile each one once
def compile_term(text: str, group: str, role: str, exact: bool) -> Term:
    folded = fold(text)
    words = split_words(folded)
    if not exact and words and not is_arabic(words[0]):
        words = _split_joined_article(words)
    arabic = bool(words) and is_arabic(words[0])
    if exact:
        pattern = plain(folded)
        keys = frozenset({pattern.replace("#", "")})
        return Term(text, group, role, True, arabic, keys=keys, patterns=frozenset({pattern}))
    if arabic:
        sequences = _arabic_sequences(words)
        patterns = frozenset(p for seq in sequences for p in _arabic_patterns(seq))
        skeletons = tuple(dict.fromkeys(
            shape for seq in sequences if min(map(len, shape := tuple(skeleton(w) for w in seq))) >= 2 - (len(seq) > 1)
            and sum(map(len, shape)) >= 3 + (min(map(len, shape)) < 2)
        ))  # fmt: skip
        return Term(text, group, role, False, True, sequences=sequences, patterns=patterns, skeletons=skeletons)
    variants = [v for base in _latin_variants(words) for v in _particle_forms(base)]
    variants += [[_GLIDE_PLURAL.sub(r"\1", w) for w in v] for v in variants if any(_GLIDE_PLURAL.search(w) for w in v)]
    spelled = list(dict.fromkeys(" ".join(s) for v in variants for s in _joinings(v)))  # many are alike
    patterns = frozenset(map(key, spelled)) - {"##"}
    keys = frozenset(functools.reduce(join_keys, p.strip("#").split("#")) for p in patterns)
    # Not the assimilated article before a name (ar-Raqqa): read loosely, written solid, Arraqqa is Irak.
    loose_spelled = dict.fromkeys(" ".join(s) for v in variants if v[0] in _ARTICLES or v[0] not in ARTICLE_WORDS
                                  for s in _joinings(v))  # fmt: skip
    loose_patterns = frozenset(q for s in loose_spelled for q in _loose_forms(loose_stream(split_words(s))))
    loose_keys = frozenset(functools.reduce(join_loose, p.strip("#").split("#")) for p in loose_patterns - {"##"})
    return Term(text, group, role, False, False, keys=keys, patterns=patterns, loose_keys=loose_keys,
                loose_patterns=loose_patterns)  # fmt: skip


_PARTICLE = ("bu", "abu", "abou", "bou", "ebu", "albu")
_EPENTHESIS = re.compile(r"(?<=V[b-df-hj-np-tv-zW])V(?=[lr][VAIO])")  # a vowel put into a cluster: Jarab(u)lus


def _particle_forms(words: list[str]) -> list[list[str]]:
    """The particle Abu in each form a press writes it: apart (Abu Kamal, Ebu Kemal, Bou Kamal) or joined
    (Bukamal, Aboukamal): a leading particle word, or a first word that begins with one (Bukamal), is also
    written abu (the loose key reads ebu, abou and bou as abu)."""
    content = [i for i, w in enumerate(words) if w not in _ARTICLES]
    if not content:
        return [words]
    i = content[0]
    word = words[i]
    rest = next((word[len(p) :] for p in sorted(_PARTICLE, key=len, reverse=True) if word.startswith(p)
                 and len(word) - len(p) >= 4 and word[len(p)] not in "aeiouy"), None)  # fmt: skip
    if word in _PARTICLE:
        tail = words[i + 1 :]
    elif rest is not None:
        tail = [rest, *words[i + 1 :]]
    else:
        return [words]
    before = words[:i]  # an article before the particle stays: Al Bou-Kamal
    return [words, [*before, "abu", *tail], [*before, "bu", *tail]]


def _loose_forms(pattern: str) -> set[str]:
    """A loose pattern with the endings other languages put on a name's last word, and without an epenthetic
    vowel (Jarab(u)lus). After a vowel: none (a Russian text is read with open endings: Ракке, Ракку), -yê
    (Kurmanji Reqayê), -ha after a final -ah (Kurmanji Hizbullaha). After a consonant: a vowel (Kurmanji
    Dêrezorê; Russian Мосуле), -om (Russian Зором) and -s (German genitive: Mossuls)."""
    forms = {pattern}
    forms.update(pattern[: m.start()] + pattern[m.end() :] for m in _EPENTHESIS.finditer(pattern))
    for p in list(forms):
        last = p[-2:-1]
        if last in FINAL_CLASSES:
            forms.update({p[:-2] + "#", p[:-2] + "VjA#"})
            if last == "A":
                forms.add(p[:-2] + "VhA#")
        elif last and last != "V":
            forms.update({p[:-1] + "A#", p[:-1] + "Vm#", p[:-1] + "s#"})
    return forms - {"##"}


def _split_joined_article(words: list[str]) -> list[str]:
    """ "Albu Kamal", "Alnujaba": an article written into the word is an article all the same."""
    out = []
    for word in words:
        if word[:2] == "al" and len(word) >= 4 and word[2] not in "aeiouy" and word[2:4] != word[2] * 2:
            out += ["al", word[2:]]
        else:
            out.append(word)
    return out


_PARTICLES = {"abu", "abou", "bu", "bin", "ben", "ibn", "umm", "um", "abd", "abdel", "abdul"}


def _joinings(words: list[str]) -> list[list[str]]:
    """Each way of writing the words together or apart where real spellings do (at an article or a name
    particle: Deir ez Zor, Deir Ezzor, Deirezzor, Abukamal), and a single-word name split once where its
    own parts meet ("Hizb Allah", "Albu Kamal"). Bounded: a long name is written as it is."""
    joints = [
        i for i in range(len(words) - 1)
        if _is_article(words[i], words[i + 1]) or words[i] in _PARTICLES or words[i + 1] in _ARTICLES
        or (i > 0 and _is_article(words[i - 1], words[i])) or _is_article_form(words[i + 1])
    ][:4]  # fmt: skip
    out = []
    for glue in itertools.product(("", " "), repeat=len(joints)):
        parts, current = [], words[0]
        glue_at = dict(zip(joints, glue, strict=True))
        for i, word in enumerate(words[1:]):
            if glue_at.get(i, " ") == "":
                current += word
            else:
                parts.append(current)
                current = word
        out.append([*parts, current])
    content = [w for i, w in enumerate(words) if not _is_article(w, words[i + 1] if i + 1 < len(words) else None)]
    if len(content) == 2 and len(words) == 2:  # a two-word name written as one (Tal Afar: Telafer, تلعفر)
        out.append(["".join(words)])
    if len(content) > 3:
        return out
    splits = []
    for variant in out:
        for i, word in enumerate(variant):
            for cut in range(2, len(word) - 1):
                if (word[cut - 1] in "aeiouy") != (word[cut] in "aeiouy"):
                    splits.append([*variant[:i], word[:cut], word[cut:], *variant[i + 1 :]])
    return out + splits


def _is_article_form(word: str) -> bool:
    return word in _ARTICLES or (len(word) in (2, 3) and word[0] in "aeiu" and _sun(word[1:]) == word[1:])


def _sun(word: str) -> str | None:
    return next((s for s in _SUN if word.startswith(s)), None)


def _is_article(word: str, following: str | None) -> bool:
    if word in _ARTICLES:
        return True
    sun = _sun(following or "")
    return bool(sun) and word in {v + sun for v in "aeiu"}


def _article_forms(following: str, inner: bool = False) -> list[str]:
    sun = _sun(following)
    return [*_LATIN_ARTICLE_FORMS, *(_INNER_ARTICLE_FORMS if inner else ()), *((f"a{sun}", f"e{sun}") if sun else ())]


def _latin_variants(words: list[str]) -> list[list[str]]:
    """Every spelling of the term's articles: a slot per article, plus an optional leading one."""
    slots: list[list[str]] = []
    content: list[str] = []
    for i, word in enumerate(words):
        following = words[i + 1] if i + 1 < len(words) else None
        if following is not None and _is_article(word, following):
            slots.append(_article_forms(following, inner=i > 0))
            content.append("")  # placeholder: the slot's form goes here
        else:
            content.append(word)
    if not any(content):
        return []
    lead = (
        [] if words[0] in _ARTICLES or (slots and content[0] == "") else _article_forms(next(w for w in content if w))
    )
    variants = []
    for leading in lead or [""]:
        for forms in itertools.product(*slots) if slots else [()]:
            out, k = [leading] if leading else [], 0
            for word in content:
                if word == "":
                    if forms[k]:
                        out.append(forms[k])
                    k += 1
                else:
                    out.append(word)
            variants.append(out)
    return variants


def _arabic_sequences(words: list[str]) -> tuple[tuple[str, ...], ...]:
    """The name written apart and joined, each plural -ون/-ين ending both ways."""
    base = [tuple(words)]
    if len(words) == 2:
        base.append((words[0] + words[1],))
        base.append((words[0] + without_article(words[1]),))  # Sorani: دێرەزور
    elif len(words) == 1:  # ديرالزور -> دير الزور; البوكمال -> البو كمال: a compound written apart
        word, start = words[0], 2 if words[0].startswith("ال") else 0
        for cut in range(start + 2, len(word) - 1):
            base.append((word[:cut], word[cut:]))
    base += [("ابو", *seq[1:]) for seq in base if len(seq) > 1 and seq[0] in ("بو", "البو", "ابو")]  # أبو كمال
    out = []
    for seq in base:
        out.append(seq)
        last = seq[-1]
        for a, b in (("ون", "ين"), ("ين", "ون")):
            if last.endswith(a) and len(without_article(last)) >= 5:
                out.append((*seq[:-1], last[: -len(a)] + b))
    return tuple(dict.fromkeys(out))


def _arabic_patterns(words: tuple[str, ...]) -> set[str]:
    """Pre-filter patterns, aligned to words: each word with or without ال; the first word also with an
    attached prefix before its article (بالرقه, للنجباء) or before the word as written (بدير)."""
    first, core = words[0], without_article(words[0])
    heads = {core, "ال" + core}
    for prefix in _ARABIC_PREFIXES[1:]:
        heads.update({prefix + "ال" + core, prefix + first})
        if prefix.endswith("ل"):
            heads.add(prefix + "ل" + core)  # ل + ال -> لل
    tails = [""]
    for word in words[1:]:
        rest = without_article(word)
        tails = [t + " " + form for t in tails for form in (rest, "ال" + rest)]
    return {key(head + tail) for head in heads for tail in tails}

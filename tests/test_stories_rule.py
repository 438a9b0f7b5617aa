"""The story rule on texts: what joins (copies) and what stays apart (same event or template, other words)."""

from __future__ import annotations

import random

from bot import stories

WORDS = (
    "convoy reached city dawn residents said fighters moved border crossing militia positions drone strike "
    "killed two wounded officials confirmed villages countryside road checkpoint water station repaired "
    "electricity returned farmers harvest wheat prices market council governor statement denied"
).split()


def text(seed: int, n: int = 220) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randint(0, 40)) for _ in range(n))


def joined(a: str, b: str) -> bool:
    return stories.same_story(stories.fingerprint(a), stories.fingerprint(b))[0]


def test_copies_join():
    original = text(1)
    words = original.split()
    assert joined(original, original)
    assert joined(original, "Source: Euphrates Post. " + original)
    assert joined(original, " ".join(words[: int(len(words) * 0.7)]))  # cut to its first 70%
    assert joined(" ".join(words[: int(len(words) * 0.7)]), original)


def test_other_texts_stay_apart():
    boilerplate = text(99, 50)
    assert not joined(text(1), text(2))
    assert not joined(text(1) + " " + boilerplate, text(2) + " " + boilerplate)
    first_sentence = " ".join(text(1).split()[:40])
    assert not joined(first_sentence, text(1))  # much shorter: a brief quoting the lead is not the article


def test_short_texts_have_no_fingerprint():
    assert stories.fingerprint("Clashes in the countryside of Deir ez-Zor kill two") is None


def test_fingerprint_is_stable_and_round_trips():
    a, b = stories.fingerprint(text(5)), stories.fingerprint(text(5))
    assert a == b
    assert stories.Fingerprint.from_blob(a.to_blob(), a.shingles) == a
    assert len(set(a.band_keys())) == stories.BANDS

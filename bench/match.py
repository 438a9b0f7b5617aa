"""Keyword matching throughput: wirewatch's engine vs one compiled regex per term.

Run: .venv/bin/python bench/match.py [--groups 500] [--articles 5000] [--naive-sample 300]

Generates N keyword groups of 3 terms (a Latin name, its Arabic form, a second Latin spelling; variants on)
and a corpus of article texts (about 4 KB each, half Arabic, half English) in which 10% of the articles
mention a watched name in a transliteration variant or with an attached Arabic prefix. Times, on one core,
``Matcher.match`` over every article and the naive baseline (a case-insensitive whole-word regex per term,
run over a sample of the articles and scaled), and how the engine's cost grows with the number of groups.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import time
from pathlib import Path

import yaml

from bot.config import Keyword
from bot.match import Matcher

EN = (
    "government minister president parliament election economy market oil prices bank budget workers strike "
    "protest police court army troops ceasefire talks border refugees aid crisis hospital school students "
    "water supply farmers harvest wheat exports trade port road accident report officials statement announced "
    "said warned confirmed denied local national regional capital city province district village residents "
    "families children leaders council governor ministry company security attack convoy militia fighters"
).split()
AR = (
    "الحكومة الوزير الرئيس البرلمان الانتخابات الاقتصاد السوق النفط الأسعار البنك الميزانية العمال الإضراب "
    "الاحتجاج الشرطة المحكمة الجيش القوات المحادثات الحدود اللاجئين المساعدات الأزمة المستشفى المدرسة الطلاب "
    "المياه المزارعين الحصاد القمح الصادرات التجارة الميناء الطريق حادث التقرير المسؤولين بيان أعلن قال حذر "
    "أكد نفى محلية وطنية العاصمة المدينة المحافظة القرية السكان العائلات الأطفال القادة المجلس المحافظ الوزارة"
).split()
C_LAT = ["b", "d", "f", "h", "j", "k", "l", "m", "n", "q", "r", "s", "t", "z", "sh", "kh", "gh", "th"]
V_LAT = ["a", "i", "u", "e", "o", "ou", "ei", "aa"]
AR_LETTERS = "بتثجحخدذرزسشصضطظعغفقكلمنهي"


def name(rng: random.Random) -> tuple[str, str, str]:
    """A synthetic place or group name: a Latin spelling, a second spelling, an Arabic form."""
    syllables = [(rng.choice(C_LAT), rng.choice(V_LAT)) for _ in range(rng.randint(2, 3))]
    tail = rng.choice(C_LAT)
    first = "".join(c + v for c, v in syllables) + tail
    second = "".join(c + rng.choice(V_LAT) for c, _ in syllables) + tail  # other vowels: a variant
    words = [first.capitalize()]
    if rng.random() < 0.4:
        words.insert(0, rng.choice(["Tell", "Kafr", "Deir", "Ain", "Jabal", "Wadi"]))
    latin = " ".join(words)
    variant = " ".join([*words[:-1], "al-" + second.capitalize()]) if rng.random() < 0.5 else latin.upper()
    arabic = "".join(rng.choice(AR_LETTERS) for _ in range(rng.randint(3, 6)))
    arabic = ("ال" if rng.random() < 0.5 else "") + arabic
    if rng.random() < 0.3:
        arabic = rng.choice(["تل ", "دير ", "عين ", "جبل "]) + arabic
    return latin, variant, arabic


def groups(n: int, seed: int = 7) -> list[Keyword]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        latin, variant, arabic = name(rng)
        out.append(Keyword(name=f"g{i}", terms=[latin, arabic, variant]))
    return out


def corpus(n: int, watched: list[Keyword], seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        arabic = i % 2 == 0
        vocab = AR if arabic else EN
        words = [rng.choice(vocab) for _ in range(rng.randint(280, 340) if arabic else rng.randint(520, 620))]
        if rng.random() < 0.10:
            group = rng.choice(watched)
            mention = group.terms[1] if arabic else rng.choice([group.terms[0], group.terms[2]])
            if arabic:
                mention = rng.choice(["", "و", "ب", "ل"]) + mention
            words.insert(rng.randrange(len(words)), mention)
        texts.append(" ".join(words) + ".")
    return texts


def naive_patterns(keywords: list[Keyword]) -> list[re.Pattern[str]]:
    return [re.compile(r"(?<!\w)" + re.escape(t) + r"(?!\w)", re.IGNORECASE) for k in keywords for t in k.terms]


def time_engine(matcher: Matcher, texts: list[str], index: bool = False) -> tuple[float, int]:
    """CPU seconds to match ``texts``; ``index``: also key them for the search index, as ``run`` does."""
    started = time.process_time()
    if index:
        found = sum(1 for text in texts if matcher.match_and_index(text)[0])
    else:
        found = sum(1 for text in texts if matcher.match(text))
    return time.process_time() - started, found


def world_texts() -> list[str]:
    """Articles of Turkish, Kurdish, Persian, Russian, Hebrew, German and French news, which take the loose and
    skeleton readings that English and Arabic texts never reach: the sentences of
    tests/data/spellings_world.yaml, each language's run together, about 4 KB an article."""
    path = Path(__file__).parent.parent / "tests" / "data" / "spellings_world.yaml"
    by_lang: dict[str, list[str]] = {}
    for case in yaml.safe_load(path.read_text(encoding="utf-8")):
        by_lang.setdefault(case.get("lang", "en"), []).append(case["text"])
    articles = []
    for sentences in by_lang.values():
        article = ""
        for sentence in sentences * 40:
            article += sentence + "\n"
            if len(article.encode("utf-8")) > 4000:
                articles.append(article)
                article = ""
    return articles


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--naive-sample", type=int, default=300)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    watched = groups(args.groups)
    texts = corpus(args.articles, watched)
    size_mb = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"corpus: {len(texts)} articles, {size_mb:.1f} MB (UTF-8), half Arabic; "
          f"{args.groups} groups x 3 terms")  # fmt: skip

    started = time.process_time()
    matcher = Matcher(watched)
    build = time.process_time() - started
    patterns = sum(len(t.patterns) for t in matcher.terms)
    time_engine(matcher, texts[:200])  # warm the token caches the way a running bot has them
    seconds, matched = time_engine(matcher, texts)
    print(
        f"engine: build {build:.2f} s ({patterns} pre-filter patterns); match {seconds:.2f} s CPU = "
        f"{size_mb / seconds:.1f} MB/s, {len(texts) / seconds:.0f} articles/s; {matched} articles matched"
    )

    seconds, _ = time_engine(matcher, texts, index=True)
    rate = f"{size_mb / seconds:.1f} MB/s, {len(texts) / seconds:.0f} articles/s"
    print(f"engine + search index keys (what run does): {rate}")
    world = world_texts()
    world_mb = sum(len(t.encode("utf-8")) for t in world) / 1e6
    time_engine(matcher, world[:100])
    seconds, _ = time_engine(matcher, world)
    print(f"other presses ({len(world)} articles of tests/data/spellings_world.yaml sentences, {world_mb:.1f} MB): "
          f"{world_mb / seconds:.1f} MB/s")  # fmt: skip

    sample = texts[: args.naive_sample]
    sample_mb = sum(len(t.encode("utf-8")) for t in sample) / 1e6
    regexes = naive_patterns(watched)
    started = time.process_time()
    naive_matched = sum(1 for text in sample if any(r.search(text) for r in regexes))
    naive = time.process_time() - started
    naive_rate = sample_mb / naive
    print(
        f"naive: {len(regexes)} regexes over {len(sample)} articles: {naive:.2f} s CPU = {naive_rate:.2f} MB/s "
        f"({naive_matched} matched, exact spellings only); engine/naive = {(size_mb / seconds) / naive_rate:.0f}x"
    )

    print("growth with the number of groups (same corpus, first 1000 articles):")
    part = texts[:1000]
    part_mb = sum(len(t.encode("utf-8")) for t in part) / 1e6
    for n in (10, 100, 500, 1000, 2000):
        m = Matcher(groups(n))
        time_engine(m, part[:100])
        secs, _ = time_engine(m, part)
        print(f"  {n:5d} groups ({3 * n:5d} terms): {part_mb / secs:6.1f} MB/s")


if __name__ == "__main__":
    main()

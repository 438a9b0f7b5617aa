"""`wirewatch search` and `wirewatch recent --keyword` on 200,000 stored articles: answer times and bytes.

Run: .venv/bin/python bench/query.py [--articles 200000] [--db PATH] [--queries 200] [--cli-runs 20] [--cold]

The database is what a running bot would have written over 60 days: the bot's own write path
(``bot.poll.reading.digest`` for matches and fingerprint, ``bot.match.alert_snippet``, ``Store.add_article`` in
transactions, the store's clock set to each article's sighting) on articles from the simulated news web's
generator (../shared/newsweb/server.py, ``SiteGen``: its vocabularies, headlines, site languages and
watched-name spellings, 5% of articles naming one). SiteGen's vocabulary is ~450 everyday words, so every one
of them is in most articles; real news also has a long tail of names, so each paragraph gets 1-4 names drawn
from a Zipf law over 40,000 made-up names per script, which gives rare and middling terms to search for.
2,000 sources; 15% of articles are another outlet's republication of a recent story (verbatim, with a
"Source:" line, cut, or lightly edited), which the store joins to its story. Digests are computed in a
process pool; the rows are written in order, by the one writer, as the bot writes them. The database is
cached (bench/.data/) and reused.

Each query is timed in a fresh process (a new SQLite connection: empty page cache, the OS file cache as it
is; ``--cold`` also evicts the database from the OS cache first), the answer (query function) apart from
opening the store; then the CLI end to end (process start, config with the 2,000 sources, query, output).
Wall and CPU time both: on a shared machine the CPU time is what the answer costs, the wall time what a user
waited.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from common import NEWSWEB, ROOT, load

from bot.store import Store
from bot.store import articles as store_articles
from bot.store import queries as query
from bot.store.search import search

if TYPE_CHECKING:
    from bot.config import Keyword
    from bot.models import Article
    from bot.poll.reading import Digest

server = load("newsweb_server", NEWSWEB / "server.py")  # SiteGen (the module imports aiohttp, which the venv has)
AR_WORDS, EN_WORDS, SiteGen = server.AR_WORDS, server.EN_WORDS, server.SiteGen
DATA = Path(__file__).parent / ".data"
GENERATOR = 1  # bump when the generated articles change: the cached database is then rebuilt
SEED = 20261125
SOURCES = 2_000
DAYS = 60
END = datetime(2026, 11, 25, tzinfo=UTC)
MENTION_RATE = 0.05
COPY_RATE = 0.15
VARIANTS = ("verbatim", "source", "cut", "edit")
TRANSACTION = 250  # articles per transaction; a poll of a busy source writes tens
KEYWORDS = ("Deir ez-Zor", "Nujaba", "Hezbollah", "Al-Bukamal", "Fatemiyoun")
NUJABA = {"al-Nujaba", "Nujaba", "النجباء"}  # the group requires context: "militia", "فصائل", ...
GEN = SiteGen(SEED, "https://newsweb.example", mention_rate=MENTION_RATE)


def _names(script: str, count: int = 40_000) -> list[str]:
    rng = random.Random(f"{SEED}-{script}")
    if script == "en":
        syllables = [c + v for c in "bdfghklmnprstvz" for v in ("a", "e", "i", "o", "u", "ar", "en", "ov")]
        return [("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))).capitalize() for _ in range(count)]
    syllables = [c + v for c in "بتجدرزسشعفقكلمنهي" for v in ("ا", "و", "ي", "")]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(count)]


NAMES = {"en": _names("en"), "ar": _names("ar")}
NAME_WEIGHTS = list(itertools.accumulate(1 / (rank + 1) ** 1.05 for rank in range(40_000)))  # Zipf


@dataclass(frozen=True, slots=True)
class Item:
    """One article to store: the site that ran it (SiteGen's site i, item j), when the bot saw it."""

    n: int
    site: int
    number: int
    seen: float  # epoch seconds
    copy_of: Item | None = None
    variant: str = ""


def plan(count: int) -> list[Item]:
    """Articles in the order the bot stored them, evenly over DAYS; copies pick a story of the last ~day."""
    rng = random.Random(SEED)
    start, step = (END - timedelta(days=DAYS)).timestamp(), DAYS * 86400 / count
    numbers: Counter[int] = Counter()
    recent: deque[Item] = deque(maxlen=3_000)
    items = []
    for n in range(count):
        original = rng.choice(recent) if recent and rng.random() < COPY_RATE else None
        site = rng.randrange(SOURCES)
        if original is not None:  # an outlet in the same language (SiteGen: the language is site % 3)
            while site % 3 != original.site % 3 or site == original.site:
                site = rng.randrange(SOURCES)
        numbers[site] += 1
        item = Item(n, site, numbers[site], start + n * step, original, rng.choice(VARIANTS) if original else "")
        items.append(item)
        if original is None:
            recent.append(item)
    return items


def _is_arabic(word: str) -> bool:
    return "\u0600" <= word[0] <= "\u06ff"


def original(item: Item) -> tuple[str, str]:
    """Title and text (400-900 words, one paragraph a line, as extraction gives them) of a site's article."""
    i, j = item.site, item.number
    r = GEN.rng("body", i, j)
    mention = GEN.mention(i, j)
    if mention in NUJABA:
        mention = f"فصائل {mention}" if _is_arabic(mention) else f"{mention} militia"
    paragraphs = [GEN.summary(i, j)]
    size, target = len(paragraphs[0].split()), r.randint(400, 900)
    while size < target:
        words = GEN.words(r, GEN.lang(i), r.randint(40, 90)).split()
        script = "ar" if _is_arabic(words[0]) else "en"
        for name in r.choices(NAMES[script], cum_weights=NAME_WEIGHTS, k=r.randint(1, 4)):
            words.insert(r.randrange(len(words)), name)
        if len(paragraphs) == 2 and mention:
            words.insert(r.randrange(len(words)), mention)
        paragraphs.append(" ".join(words) + ".")
        size += len(words)
    title = GEN.headline(i, j)
    if mention and r.random() < 0.3:
        title = f"{title} {mention}"
    return title, "\n".join(paragraphs)


def republished(item: Item, title: str, text: str) -> tuple[str, str]:
    """Another outlet's copy: its own headline half the time, the text as ``item.variant`` says."""
    r = GEN.rng("copy", item.n)
    if r.random() < 0.5:
        title = GEN.headline(item.site, item.number)
    if item.variant == "source":
        text += f"\nSource: {GEN.site_name(item.copy_of.site)}"
    elif item.variant == "cut":
        text = text[: int(len(text) * r.uniform(0.7, 0.95))].rsplit(" ", 1)[0]
    elif item.variant == "edit":  # a copy editor's touch: 1-2% of the words changed
        rate, vocabulary = r.uniform(0.01, 0.02), AR_WORDS if GEN.lang(item.site) == "ar" else EN_WORDS
        text = "\n".join(
            " ".join(r.choice(vocabulary) if r.random() < rate else w for w in line.split(" "))
            for line in text.split("\n")
        )
    return title, text


def compose(item: Item) -> tuple[Article, Digest, str]:
    """In a pool process: the article as the pipeline hands it to the store, its digest and snippet."""
    from bot.match import alert_snippet
    from bot.models import Article
    from bot.poll.reading import digest
    from bot.urls import canonical_url, clean_url

    title, text = original(item.copy_of or item)
    if item.copy_of is not None:
        title, text = republished(item, title, text)
    url = GEN.article_url(item.site, item.number)
    published = datetime.fromtimestamp(item.seen - GEN.rng("published", item.n).uniform(60, 3600), UTC)
    article = Article(
        source=GEN.site_name(item.site), url=clean_url(url), canonical_url=canonical_url(url), title=title,
        text=text, published=published, lang="ar" if GEN.lang(item.site) == "ar" else "en",
    )  # fmt: skip
    found = digest(title, text)
    return article, found, alert_snippet(article.title, article.text, found.matches)


def _keywords() -> list[Keyword]:
    from bot.config import load

    return load(ROOT / "config" / "wirewatch.yaml").keywords


def _start_pool(keywords: list[Keyword]) -> None:
    from bot.poll import reading as workers

    workers._start(keywords)


def generate(path: Path, count: int) -> None:
    """Write the database at ``path`` (through a temporary file, so that an interrupted run leaves none)."""
    partial = path.with_suffix(".partial")
    for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
        leftover.unlink(missing_ok=True)
    items, started, max_age = plan(count), time.perf_counter(), timedelta(days=7)  # config's max_age
    batches = [items[k : k + TRANSACTION] for k in range(0, count, TRANSACTION)]
    with multiprocessing.get_context("fork").Pool(os.cpu_count(), _start_pool, (_keywords(),)) as pool:
        store = Store.open(partial)  # after the fork: the pool's processes never hold the connection
        store.db.execute("PRAGMA cache_size = -262144")  # 256 MB: the writer's speed only, rows are the same
        pending = pool.map_async(compose, batches[0], chunksize=25)
        for k, batch in enumerate(batches):
            results = pending.get()
            if k + 1 < len(batches):
                pending = pool.map_async(compose, batches[k + 1], chunksize=25)
            with store.transaction():
                for item, (article, found, snippet) in zip(batch, results, strict=True):
                    now = datetime.fromtimestamp(item.seen, UTC)
                    store_articles.utcnow = lambda now=now: now  # the bot's clock when it stored this one
                    fresh = now - article.published <= max_age
                    store.add_article(article, found.matches, fresh, snippet, "page", fingerprint=found.fingerprint,
                                      keys=found.keys)  # fmt: skip
            done = (k + 1) * TRANSACTION
            if k % 40 == 0 or done >= count:
                rate = min(done, count) / (time.perf_counter() - started)
                print(f"  stored {min(done, count):,} articles ({rate:.0f}/s)", end="\r", file=sys.stderr)
    polled: Counter[int] = Counter(item.site for item in items)
    with store.transaction():
        for site, articles in sorted(polled.items()):
            store.record_poll(GEN.site_name(site), f"{GEN.base}/site{site}/feed.xml", "feed", None, articles)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    partial.rename(path)
    print(f"\n  generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def write_config(db: Path) -> Path:
    """The config a user with these 2,000 sources would have, pointing at the database."""
    path = db.with_suffix(".yaml")
    sources = [{"name": GEN.site_name(i), "url": f"{GEN.base}/site{i}/feed.xml"} for i in range(SOURCES)]
    keywords = [k.model_dump(exclude_defaults=True) for k in _keywords()]
    path.write_text(yaml.safe_dump({"database": str(db.resolve()), "sources": sources, "keywords": keywords},
                                   allow_unicode=True, sort_keys=False), encoding="utf-8")  # fmt: skip
    return path


# ------------------------------------------------------------------------------------------------ queries


def search_queries(count: int) -> list[tuple[str, str]]:
    """(shape, FTS5 query): everyday words, names by frequency, watched names, phrases, operators, prefixes."""
    r = random.Random(SEED + 1)
    en, ar = NAMES["en"], NAMES["ar"]
    sample = original(Item(0, 1, 7, 0.0))[1].split() + original(Item(0, 0, 7, 0.0))[1].split()
    watched = ["Hezbollah", "Fatemiyoun", "Nujaba", '"Deir ez-Zor"', '"Al-Bukamal"', '"دير الزور"', '"حزب الله"',
               "البوكمال", "Hizballah", "النجباء"]  # fmt: skip

    def phrase() -> str:
        k = r.randrange(len(sample) - 3)
        return '"' + " ".join(w.strip(".") for w in sample[k : k + r.randint(2, 3)]) + '"'

    def operators() -> str:
        everyday, middling = r.choice((EN_WORDS, AR_WORDS)), r.choice((en, ar))[500:5_000]
        return r.choice((
            f"{r.choice(everyday)} AND {r.choice(middling)}", f"{r.choice(middling)} OR {r.choice(middling)}",
            f"{r.choice(watched)} AND {r.choice(everyday)}", f"{r.choice(everyday)} NOT {r.choice(everyday)}",
            f"{r.choice(everyday)} AND {r.choice(everyday)}",
        ))  # fmt: skip

    shapes = {
        "word, everyday (English)": lambda: r.choice(EN_WORDS),
        "word, everyday (Arabic)": lambda: r.choice(AR_WORDS),
        "name, frequent (rank 1-50)": lambda: r.choice(r.choice((en, ar))[:50]),
        "name, middling (rank 500-5,000)": lambda: r.choice(r.choice((en, ar))[500:5_000]),
        "name, rare (rank 20,000+)": lambda: r.choice(r.choice((en, ar))[20_000:]),
        "watched name": lambda: r.choice(watched),
        "phrase in quotes": phrase,
        "AND / OR / NOT": operators,
        "prefix*": lambda: r.choice(r.choice((EN_WORDS, en[:5_000])))[:4] + "*",
    }
    names = list(shapes)
    return [(name, shapes[name]()) for name in itertools.islice(itertools.cycle(names), count)]


def recent_queries(count: int) -> list[tuple[str, str | None]]:
    variants = [("--keyword, as configured", k) for k in KEYWORDS]
    variants += [("--keyword, other case", k.lower()) for k in KEYWORDS] + [("--keyword, other case", "HEZBOLLAH")]
    variants += [("no keyword", None)]
    return list(itertools.islice(itertools.cycle(variants), count))


def evict(path: Path) -> None:
    """Drop the database's pages from the OS file cache (allowed for any file one can open)."""
    for file in (path, Path(f"{path}-wal")):
        if file.exists():
            with open(file, "rb") as handle:
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def one(path: Path, kind: str, arg: str | None, cold: bool) -> dict:
    """One query in this (fresh) process: open the store and answer, as the CLI does; then count the matches."""
    if cold:
        evict(path)
    groups = _keywords() if kind == "search" else []  # the CLI has read its config before it opens the store
    started, opening = time.perf_counter(), time.process_time()
    store = Store.open_for_queries(path)  # as the CLI opens it
    opened, cpu = time.perf_counter(), time.process_time()
    opening = cpu - opening
    # search as the CLI calls it, with the config's groups
    rows = search(store, arg, groups=groups) if kind == "search" else query.recent(store, keyword=arg)
    answered, cpu = time.perf_counter(), time.process_time() - cpu
    matches = None
    if kind == "search":
        sql = "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?"
        matches = store.db.execute(sql, [arg]).fetchone()[0]
    store.close()
    return {"open": (opened - started) * 1000, "open_cpu": opening * 1000, "query": (answered - opened) * 1000,
            "cpu": cpu * 1000, "rows": len(rows), "matches": matches}  # fmt: skip


def in_fresh_processes(path: Path, jobs: list[tuple[str, str, str | None]], cold: bool) -> list[dict]:
    results = []
    for n, (kind, shape, arg) in enumerate(jobs):
        argv = [sys.executable, __file__, "--db", str(path), "--one", json.dumps([kind, arg])]
        out = subprocess.run(argv + (["--cold"] if cold else []), capture_output=True, text=True, check=True).stdout
        results.append({"kind": kind, "shape": shape, "arg": arg, **json.loads(out)})
        print(f"  {n + 1}/{len(jobs)} queries", end="\r", file=sys.stderr)
    print(file=sys.stderr)
    return results


def cli_run(config: Path, argv: list[str]) -> tuple[float, float]:
    """Milliseconds of one ``wirewatch`` command, start to exit (output to a pipe, as in a script): wall, CPU."""
    wirewatch = Path(sys.executable).parent / "wirewatch"
    before, started = _children_cpu(), time.perf_counter()
    subprocess.run([str(wirewatch), *argv, *(["--config", str(config)] if argv[0] != "--version" else [])],
                   stdout=subprocess.PIPE, check=True)  # fmt: skip
    return (time.perf_counter() - started) * 1000, (_children_cpu() - before) * 1000


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], p: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def row(label: str, times: list[float], cpu: list[float], *extra: str) -> str:
    """Wall p50, p95, p99 and max; CPU p50 and p95 (what the answer costs, whatever else the machine runs)."""
    figures = [percentile(times, p) for p in (50, 95, 99)] + [max(times)] + [percentile(cpu, p) for p in (50, 95)]
    return "| " + " | ".join([label, str(len(times)), *(f"{f:.1f}" for f in figures), *extra]) + " |"


def report_queries(results: list[dict], shapes: list[str]) -> None:
    print("\n| query shape | n | p50 ms | p95 ms | p99 ms | max ms | CPU p50 ms | CPU p95 ms | matching (median) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for kind in ("search", "recent"):
        for shape in [*shapes, "all"]:
            mine = [r for r in results if r["kind"] == kind and shape in (r["shape"], "all")]
            if mine:
                matches = [r["matches"] for r in mine if r["matches"] is not None]
                label = f"**{kind}: all**" if shape == "all" else f"{kind}: {shape}"
                median = f"{statistics.median(matches):,.0f}" if matches and shape != "all" else ""
                print(row(label, [r["query"] for r in mine], [r["cpu"] for r in mine], median))
    opens, open_cpu = [r["open"] for r in results], [r["open_cpu"] for r in results]
    print(row("Store.open_for_queries (before each query)", opens, open_cpu, ""))
    slowest = sorted(results, key=lambda r: -r["query"])[:8]
    print("\nslowest: " + "; ".join(f"{r['kind']} {r['arg']!r} {r['query']:.0f} ms" for r in slowest))


def report_cli(config: Path, path: Path, runs: int, cold: bool) -> None:
    r = random.Random(SEED + 2)
    searches = [q for _, q in search_queries(90)]
    commands = {
        "wirewatch --version (process start)": lambda: ["--version"],
        "wirewatch validate (start + config, 2,000 sources)": lambda: ["validate"],
        "wirewatch search QUERY": lambda: ["search", r.choice(searches)],
        "wirewatch recent --keyword K": lambda: ["recent", "--keyword", r.choice(KEYWORDS)],
    }
    print("\n| CLI, end to end | runs | p50 ms | p95 ms | p99 ms | max ms | CPU p50 ms | CPU p95 ms |")
    print("|---|---|---|---|---|---|---|---|")
    for label, argv in commands.items():
        times = []
        for _ in range(runs):
            if cold:
                evict(path)
            times.append(cli_run(config, argv()))
        print(row(label, [wall for wall, _ in times], [cpu for _, cpu in times]))


# ------------------------------------------------------------------------------------------------ bytes


_PARTS = {  # table -> reported part; the FTS5 shadow tables are articles_fts_*
    "articles": "articles (rows with text, indexes)",
    "article_urls": "article_urls",
    "stories": "stories + story_keywords",
    "story_keywords": "stories + story_keywords",
    "fingerprints": "fingerprints",
    "story_bands": "story_bands",
    "matches": "matches + alerts",
    "alerts": "matches + alerts",
}


def report_bytes(path: Path) -> None:
    """The file's size (checkpointed), and its pages by part (``dbstat``: each table with its indexes)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    count = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    owners = dict(conn.execute("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')"))
    split: Counter[str] = Counter()
    for name, pages in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = owners.get(name, name)
        split["FTS index (articles_fts_*)" if table.startswith("articles_fts") else _PARTS.get(table, "other")] += pages
    text = conn.execute("SELECT avg(length(CAST(text AS BLOB))), avg(length(text)) FROM articles").fetchone()
    conn.close()
    print(f"\ndatabase: {size:,} bytes, {size / count:,.0f} bytes per article "
          f"(its text: {text[0]:,.0f} bytes, {text[1]:,.0f} characters on average)")  # fmt: skip
    for part, pages in sorted(split.items(), key=lambda p: -p[1]):
        print(f"  {part}: {pages / count:,.0f} bytes per article ({100 * pages / size:.1f}%)")


# ------------------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--db", type=Path, default=None, help="database (default: bench/.data/, generated once)")
    parser.add_argument("--queries", type=int, default=200, help="queries per function, each in a fresh process")
    parser.add_argument("--cli-runs", type=int, default=20)
    parser.add_argument("--cold", action="store_true", help="evict the database from the OS file cache per query")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    path = args.db or DATA / f"query-{args.articles}-g{GENERATOR}.db"
    if args.one:
        kind, arg = json.loads(args.one)
        print(json.dumps(one(path, kind, arg, args.cold)))
        return
    if not path.exists():
        print(f"generating {args.articles:,} articles into {path}", file=sys.stderr)
        generate(path, args.articles)
    Store.open(path).close()  # a newer schema migrates here, not in the first timed query
    config = write_config(path)
    cache = "the database evicted from the OS file cache before each" if args.cold else "OS file cache warm"
    print(f"{path}: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; {cache}")  # fmt: skip
    searches, recents = search_queries(args.queries), recent_queries(args.queries)
    jobs = [("search", shape, q) for shape, q in searches] + [("recent", shape, k) for shape, k in recents]
    random.Random(SEED).shuffle(jobs)
    report_queries(in_fresh_processes(path, jobs, args.cold), list(dict.fromkeys(s for s, _ in searches + recents)))
    report_cli(config, path, args.cli_runs, args.cold)
    report_bytes(path)


if __name__ == "__main__":
    main()

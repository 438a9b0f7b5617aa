"""Retention at 1,000 sources: how big the database gets, day by day, and whether ``keep`` bounds it.

Run: .venv/bin/python bench/retention.py [--sources 1000] [--days 30] [--per-day 10] [--short-keep 5]
     [--short-days 15] [--keep DAYS] [--out FILE.json] [--keep-files]

The defaults take ~25-30 minutes on 2 vCPUs: the write path costs ~1.5-2 ms of CPU an article, as in the bot,
and 30 days at 1,000 sources are 310,000 articles. ``--sources 250 --days 4 --short-keep 3 --short-days 45``
(~5 minutes) shows the bound over a longer stretch. Figures: bench/README.md.

Simulated time, one process, no network. Every row goes through the bot's own write path, with the store's
clock (``utcnow`` in bot/store/'s modules) set to the simulated moment instead of sleeping:

- every ``every`` (the config default, 10 minutes) each source is polled once; its poll record goes through
  ``Writer._record_polls`` in batches of 200 (what ``Writer.flush`` writes), and a source with new items
  has them written by the writer thread's functions: ``Writer.save_found`` (``Store.add_article`` with
  the matches, story, fingerprint and alert, ``Store.enqueue`` into the outbox, ``enqueue_followups`` for a
  copy of an alerted story; one transaction), then ``Writer.save`` (the feed's validators);
- after each poll round the outbox is drained as the sender does it (``outbox.mark_attempt``, then
  ``outbox.mark_sent`` with a receipt) for the deliveries and follow-ups of two channels (a Slack channel and
  a Matrix room, every group);
- once a simulated day, ``bot.store.retention.prune(store, keep, now)``, the job ``wirewatch run`` schedules daily;
- then a passive WAL checkpoint (``wal_autocheckpoint`` does the same every 1,000 pages) and the figures:
  main file, WAL file, pages on the freelist, rows, and every few days ``dbstat`` per table (with its indexes).

Articles: each source publishes ``--per-day`` articles a day on average (per-source rates log-normal, sigma
0.75: a few busy outlets, many small ones). Texts are made of the 181 labelled bodies of real news pages
(../shared/realpages): each original article takes the length of a real body (drawn at random) and is
filled with paragraphs drawn from all 181 bodies, so lengths follow real pages and no two articles are the
same text. 15% of articles are another source's copy of an original of the last day (verbatim, a "Source:"
line added, cut to 70-95%, 1-2% of words changed), which the store joins to its story. 5% of originals name a
watched group of config/wirewatch.yaml (their copies too): those, and only those, go through the matcher
(``bot.poll.reading.digest``); every article gets its fingerprint from ``bot.stories.fingerprint``. 20% of articles
have a second URL spelling (the feed's link besides the page's canonical URL).

The long-``keep`` run and the ``--short-keep`` run share their first ``--short-keep`` days (nothing is old
enough to prune before then): that part is simulated once, the database copied with SQLite's backup API, and
each run goes on from the copy with the same articles. Figures go to stdout as Markdown and to ``--out`` as
JSON. The databases live in ``--dir`` (default bench/.data/retention, git-ignored) and are deleted at the end
unless ``--keep-files``.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from common import REALPAGES, ROOT

from bot import stories
from bot.config import Config, load
from bot.models import Article, PollResult
from bot.poll import reading as workers_module
from bot.poll.reading import Digest
from bot.poll.writer import POLLS_PER_COMMIT, Found, Writer
from bot.store import Store, outbox, retention
from bot.store import articles as store_articles
from bot.store import sources as store_sources
from bot.urls import canonical_url, clean_url

SEED = 20261204
START = datetime(2026, 6, 1, tzinfo=UTC)
DAY = 86400
COPY_RATE = 0.15
MENTION_RATE = 0.05
ALIAS_RATE = 0.2
VARIANTS = ("verbatim", "source", "cut", "edit")
CHANNELS = [{"slack": "#alerts"}, {"matrix": "!alerts:example.org"}]
CACHE_KB = 262_144  # the writer's page cache: speed only, the file is the same (PRAGMA cache_size is per connection)


# ------------------------------------------------------------------------------------------------ texts


def real_bodies() -> list[str]:
    pages = json.loads((REALPAGES / "ground-truth.json").read_text(encoding="utf-8"))
    return [page["articleBody"] for page in pages.values()]


@dataclass
class Original:
    source: int
    title: str
    text: str
    digest: Digest
    seen: float


@dataclass
class World:
    """What the simulated web has published so far: the generator's state, copied at the fork."""

    rng: random.Random
    rates: list[float]
    numbers: list[int]
    recent: deque = field(default_factory=deque)  # originals of the last day, for copies


class Texts:
    def __init__(self, keywords: list) -> None:
        bodies = real_bodies()
        self.lengths = [len(body) for body in bodies]
        workers_module._start(keywords)  # the matcher of this process, as in a worker
        paragraphs = [p.strip() for body in bodies for p in body.split("\n") if p.strip()]
        # a paragraph of a real page that names a watched group would make alerts we did not plan: none does,
        # but check rather than assume
        self.paragraphs = [p for p in paragraphs if not workers_module.find_matches("", p)]
        self.dropped = len(paragraphs) - len(self.paragraphs)
        self.keywords = keywords
        self.words = [w for p in self.paragraphs for w in p.split()]

    def original(self, rng: random.Random, mention: bool) -> tuple[str, str]:
        target, parts, size = rng.choice(self.lengths), [], 0
        while size < target:
            paragraph = rng.choice(self.paragraphs)
            if size + len(paragraph) > target and parts:
                paragraph = paragraph[: max(40, target - size)].rsplit(" ", 1)[0]
            parts.append(paragraph)
            size += len(paragraph) + 1
        if mention:
            group = rng.choice(self.keywords)
            name = rng.choice(group.terms)
            if group.require:
                name = f"{name} {rng.choice([r for r in group.require if r.isascii()] or group.require)}"
            k = rng.randrange(len(parts))
            words = parts[k].split(" ")
            words.insert(rng.randrange(len(words) + 1), name)
            parts[k] = " ".join(words)
        lead = rng.choice(self.paragraphs).split()
        title = " ".join(lead[: rng.randint(7, 14)]).rstrip(".,;:")
        return title, "\n".join(parts)

    def copy(self, rng: random.Random, original: Original, source_name: str) -> tuple[str, str]:
        title, text, variant = original.title, original.text, rng.choice(VARIANTS)
        if rng.random() < 0.5:
            lead = rng.choice(self.paragraphs).split()
            title = " ".join(lead[: rng.randint(7, 14)]).rstrip(".,;:")
        if variant == "source":
            text += f"\nSource: {source_name}"
        elif variant == "cut":
            text = text[: int(len(text) * rng.uniform(0.7, 0.95))].rsplit(" ", 1)[0]
        elif variant == "edit":
            rate = rng.uniform(0.01, 0.02)
            text = "\n".join(
                " ".join(rng.choice(self.words) if rng.random() < rate else w for w in line.split(" "))
                for line in text.split("\n")
            )
        return title, text


# ------------------------------------------------------------------------------------------------ clock


class Clock:
    def __init__(self) -> None:
        self.now = START
        for module in (store_articles, store_sources, outbox, retention):  # their rows carry the simulated time
            module.utcnow = self.read

    def read(self) -> datetime:
        return self.now


# ------------------------------------------------------------------------------------------------ the run


def source_name(i: int) -> str:
    return f"Outlet {i:04d}"


def make_config(sources: int, keywords: list, every: float, keep: float) -> Config:
    return Config.model_validate({
        "sources": [{"name": source_name(i), "url": f"https://www.outlet{i:04d}.example/feed/"}
                    for i in range(sources)],
        "keywords": [k.model_dump() for k in keywords],
        "every": every,
        "keep": keep,
        "channels": CHANNELS,
        "slack": {"bot_token": "xoxb-bench"},
        "matrix": {"homeserver": "https://matrix.example.org", "user_id": "@bench:example.org",
                   "access_token": "syt-bench"},
        "workers": 0,
    })  # fmt: skip


class Run:
    """One database under one ``keep``, written day by day."""

    def __init__(self, label: str, path: Path, config: Config, clock: Clock, texts: Texts, last_day: int,
                 dbstat_every: int) -> None:  # fmt: skip
        self.label, self.path, self.config, self.clock, self.texts = label, path, config, clock, texts
        self.last_day, self.dbstat_every = last_day, dbstat_every
        self.store = Store.open(path)
        self.store.db.execute(f"PRAGMA cache_size = -{CACHE_KB}")
        self.writer = Writer(config, self.store)
        self.rows: list[dict] = []
        self.extra = ""
        self.written = {"articles": 0, "copies": 0, "alerts": 0, "polls": 0, "write_s": 0.0, "text_bytes": 0}

    def close(self) -> None:
        self.writer.close()
        self.store.close()

    def fork(self, label: str, path: Path, config: Config, last_day: int, dbstat_every: int) -> Run:
        """A second run that goes on from this database as it is now."""
        self.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = sqlite3.connect(path)
        self.store.db.conn.backup(target)
        target.close()
        other = Run(label, path, config, self.clock, self.texts, last_day, dbstat_every)
        other.rows = copy.deepcopy(self.rows)
        other.written = dict(self.written)
        return other

    def day(self, day: int, world: World) -> None:
        """One simulated day: every source polled every ``every``, the outbox drained, then the daily prune."""
        every = self.config.every
        ticks = int(DAY // every)
        sources = self.config.sources
        rng = world.rng
        arrivals: list[list[int]] = [[] for _ in range(ticks)]
        for i, rate in enumerate(world.rates):
            count = int(rate) + (rng.random() < rate - int(rate))
            for _ in range(count):
                arrivals[rng.randrange(ticks)].append(i)
        day_start = START + timedelta(days=day)
        for tick in range(ticks):
            now = day_start + timedelta(seconds=tick * every)
            self.clock.now = now
            by_source: dict[int, list[Found]] = {}
            for i in arrivals[tick]:
                by_source.setdefault(i, []).append(self._article(i, now, world))
            started = time.perf_counter()
            results = []
            for i, source in enumerate(sources):
                result = PollResult(source=source.name, url=source.url)
                found = by_source.get(i)
                if found:
                    response = SimpleNamespace(etag=f'W/"{day}-{tick}"', last_modified=None)
                    self.writer.save_found(found, source, result)
                    self.writer.save(source, response, [], False, result)  # type: ignore[arg-type]
                    self.written["alerts"] += len(result.alerts)
                results.append((source.name, source.url, source.type, None, result.new_articles))
            for k in range(0, len(results), POLLS_PER_COMMIT):
                self.writer._record_polls(results[k : k + POLLS_PER_COMMIT])
            self.written["polls"] += len(results)
            self._drain(now)
            self.written["write_s"] += time.perf_counter() - started
            cutoff = now.timestamp() - DAY
            while world.recent and world.recent[0].seen < cutoff:
                world.recent.popleft()
        self.clock.now = end = day_start + timedelta(days=1)
        started = time.perf_counter()
        counts = retention.prune(self.store, self.config.keep, now=end)
        self.measure(day + 1, counts, time.perf_counter() - started)

    def _article(self, i: int, now: datetime, world: World) -> Found:
        rng, texts = world.rng, self.texts
        world.numbers[i] += 1
        n = world.numbers[i]
        candidates = [o for o in world.recent if o.source != i] if rng.random() < COPY_RATE else []
        if candidates:
            original = rng.choice(candidates)
            title, text = texts.copy(rng, original, source_name(original.source))
            found = workers_module.digest(title, text) if original.digest.matches else None
            self.written["copies"] += 1
        else:
            original = None
            mention = rng.random() < MENTION_RATE
            title, text = texts.original(rng, mention)
            found = workers_module.digest(title, text) if mention else None
        if found is None:
            found = Digest([], stories.fingerprint(text))
        if original is None:
            world.recent.append(Original(i, title, text, found, now.timestamp()))
        slug = "-".join(title.lower().split()[:8])[:80]
        link = f"https://www.outlet{i:04d}.example/{now:%Y/%m}/{slug}-{n}/"
        aliases = []
        if rng.random() < ALIAS_RATE:
            aliases = [canonical_url(f"https://outlet{i:04d}.example/?p={n}")]
        published = now - timedelta(seconds=rng.uniform(120, 7200))
        article = Article(source=source_name(i), url=clean_url(link), canonical_url=canonical_url(link), title=title,
                          text=text, published=published, lang="en", aliases=aliases)  # fmt: skip
        self.written["articles"] += 1
        self.written["text_bytes"] += len(text.encode())
        return Found(article, found, "page", fresh=True)  # published two hours ago at most: within max_age

    def _drain(self, now: datetime) -> None:
        """What the sender leaves in the outbox after posting: every row sent, with the chat's receipt."""
        receipt = f"{now.timestamp():.6f}"
        for channel in self.config.channels:
            rows = [row.id for row, _ in outbox.pending_deliveries(self.store, channel.id)]
            followups = [row.id for items in outbox.pending_followups(self.store, channel.id).values()
                         for row, _ in items]  # fmt: skip
            for table, ids in (("deliveries", rows), ("followups", followups)):
                if ids:
                    with self.store.transaction():
                        outbox.mark_attempt(self.store, table, ids)
                    with self.store.transaction():
                        outbox.mark_sent(self.store, table, ids, receipt)

    def measure(self, day: int, counts: dict[str, int], prune_s: float) -> None:
        db = self.store.db
        wal_before = _size(Path(f"{self.path}-wal"))
        busy, log, done = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        row = {
            "day": day,
            "file": _size(self.path),
            "wal_before_checkpoint": wal_before,
            "wal": _size(Path(f"{self.path}-wal")),
            "checkpoint_complete": not busy and log == done,
            "pages": db.execute("PRAGMA page_count").fetchone()[0],
            "freelist_bytes": db.execute("PRAGMA freelist_count").fetchone()[0] * page_size,
            "counts": {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES},  # noqa: S608
            "pruned": counts,
            "prune_s": prune_s,
            "written": dict(self.written),
        }
        if day % self.dbstat_every == 0 or day in (1, self.last_day):
            row["dbstat"] = dbstat(db)
        self.rows.append(row)
        c = row["counts"]
        print(
            f"  [{self.label}] day {day:3d}: file {row['file'] / 1e6:8.1f} MB, "
            f"free {row['freelist_bytes'] / 1e6:6.1f} MB, "
            f"WAL {row['wal'] / 1e6:5.1f} MB, articles {c['articles']:,}, pruned {counts['articles']:,} in "
            f"{prune_s:.1f} s{' (index merged)' if counts.get('index_merged') else ''}, "
            f"writes {self.written['write_s']:.0f} s",
            file=sys.stderr,
            flush=True,
        )


TABLES = ("articles", "article_urls", "matches", "alerts", "deliveries", "followups", "stories", "story_keywords",
          "fingerprints", "story_bands", "gone_urls", "sources", "http_cache")  # fmt: skip


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def dbstat(db) -> dict[str, int]:
    """Bytes per table, each with its indexes (the FTS5 index is one entry: its shadow tables)."""
    owners = {name: table for name, table in db.execute("SELECT name, tbl_name FROM sqlite_master")}
    sizes: dict[str, int] = {}
    for name, size in db.execute("SELECT name, pgsize FROM dbstat WHERE aggregate = TRUE"):
        owner = owners.get(name, name)
        if owner.startswith("articles_fts"):
            owner = "articles_fts (FTS5 index)"
        elif owner.startswith("sqlite_"):
            owner = "sqlite_master"
        sizes[owner] = sizes.get(owner, 0) + size
    return dict(sorted(sizes.items(), key=lambda kv: -kv[1]))


# ------------------------------------------------------------------------------------------------ report


def report(runs: list[Run], args: argparse.Namespace, meta: dict) -> str:
    lines = [f"wirewatch {meta['commit']}, {meta['date']}, {meta['machine']}, Python {meta['python']}, "
             f"SQLite {meta['sqlite']}; {args.sources:,} sources, {args.per_day:g} articles a day each on average, "
             f"polled every {args.every:.0f} s; simulated in {meta['elapsed_s'] / 60:.1f} min", ""]  # fmt: skip
    for run in runs:
        lines += [f"### {run.label}", "",
                  "| day | file MB | freelist MB | WAL MB | articles | alerts | deliveries | stories | gone_urls | "
                  "pruned articles | prune s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
        for row in run.rows:
            c = row["counts"]
            lines.append(
                f"| {row['day']} | {row['file'] / 1e6:,.1f} | {row['freelist_bytes'] / 1e6:,.1f} | "
                f"{row['wal'] / 1e6:.1f} | {c['articles']:,} | {c['alerts']:,} | {c['deliveries']:,} | "
                f"{c['stories']:,} | {c['gone_urls']:,} | {row['pruned']['articles']:,} | {row['prune_s']:.1f}"
                + (" (index merged) |" if row["pruned"].get("index_merged") else " |")
            )
        stats = [row for row in run.rows if "dbstat" in row]
        tables = [t for t in stats[-1]["dbstat"] if stats[-1]["dbstat"][t] >= 1e6]
        lines += ["", "MB per table (dbstat, each table with its indexes; in use, without the freelist):", "",
                  "| day | " + " | ".join(tables) + " | other |", "|---" * (len(tables) + 2) + "|"]  # fmt: skip
        for row in stats:
            other = sum(v for t, v in row["dbstat"].items() if t not in tables)
            cells = [f"{row['dbstat'].get(t, 0) / 1e6:,.1f}" for t in tables]
            lines.append(f"| {row['day']} | " + " | ".join(cells) + f" | {other / 1e6:,.1f} |")
        last = stats[-1]
        live = last["counts"]["articles"] or 1
        total = sum(last["dbstat"].values())
        lines += ["", f"Per table on day {last['day']} ({live:,} articles stored):", "",
                  "| table | MB | bytes per stored article | share | rows |", "|---|---|---|---|---|"]  # fmt: skip
        for table, size in last["dbstat"].items():
            rows = last["counts"].get(table)
            lines.append(f"| {table} | {size / 1e6:,.1f} | {size / live:,.0f} | {size / total:.1%} | "
                         f"{'' if rows is None else format(rows, ',')} |")  # fmt: skip
        w = last["written"]
        lines += ["", f"Written by day {last['day']}: {w['articles']:,} articles ({w['copies']:,} copies), "
                  f"{w['alerts']:,} alerts, {w['polls']:,} poll records; article text {w['text_bytes'] / 1e6:,.1f} MB "
                  f"({w['text_bytes'] / max(1, w['articles']):,.0f} bytes an article).", ""]  # fmt: skip
        if run.extra:
            lines += [run.extra, ""]
    return "\n".join(lines)


def one_day_prune(run: Run) -> str:
    """The daily job on the full database: the oldest day's articles pruned (keep = days so far - 1)."""
    days = run.rows[-1]["day"]
    now = START + timedelta(days=days)
    run.clock.now = now
    before = run.store.db.execute("SELECT count(*) FROM articles").fetchone()[0]
    started = time.perf_counter()
    counts = retention.prune(run.store, (days - 1) * DAY, now=now)
    elapsed = time.perf_counter() - started
    return (f"The daily job on this day-{days} database ({before:,} articles), with keep = {days - 1} days so that "
            f"it prunes the first day: {counts['articles']:,} articles, {counts['alerts']:,} alerts, "
            f"{counts['stories']:,} stories in {elapsed:.1f} s.")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=float, default=10.0, help="articles a source publishes a day, on average")
    parser.add_argument("--every", type=float, default=None, help="poll interval, s (default: the config default)")
    parser.add_argument("--keep", type=float, default=None, help="days (default: the config default)")
    parser.add_argument("--short-keep", type=int, default=5, help="days; 0: no second run")
    parser.add_argument("--short-days", type=int, default=15, help="days the short-keep run lasts")
    parser.add_argument("--dir", type=Path, default=Path(__file__).parent / ".data" / "retention")
    parser.add_argument("--out", type=Path, default=None, help="JSON of every row")
    parser.add_argument("--keep-files", action="store_true")
    args = parser.parse_args()

    defaults = Config.model_validate({"sources": [{"name": "x", "url": "https://x.example/"}],
                                      "keywords": [{"name": "x", "terms": ["x"]}]})  # fmt: skip
    args.every = args.every or defaults.every
    keep = args.keep * DAY if args.keep else defaults.keep
    keywords = load(ROOT / "config" / "wirewatch.yaml").keywords
    texts = Texts(keywords)
    print(f"{len(texts.paragraphs):,} paragraphs of real bodies ({texts.dropped} naming a watched group dropped)",
          file=sys.stderr)  # fmt: skip

    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    clock = Clock()
    rng = random.Random(SEED)
    sigma = 0.75
    mu = math.log(args.per_day) - sigma**2 / 2
    world = World(random.Random(SEED + 1), [rng.lognormvariate(mu, sigma) for _ in range(args.sources)],
                  [0] * args.sources)  # fmt: skip
    started = time.perf_counter()
    label = f"keep {keep / DAY:g} days" + ("" if args.keep else " (the default)")
    long_run = Run(label, args.dir / "long.db", make_config(args.sources, keywords, args.every, keep), clock, texts,
                   args.days, 5)  # fmt: skip
    runs = [long_run]
    fork = args.short_keep if args.short_keep and args.short_keep < args.days else None
    short, short_world = None, None
    for day in range(args.days):
        if day == fork:
            short_world = copy.deepcopy(world)
            config = make_config(args.sources, keywords, args.every, args.short_keep * DAY)
            short = long_run.fork(f"keep {args.short_keep} days", args.dir / "short.db", config, args.short_days, 1)
            runs.append(short)
        long_run.day(day, world)
    long_run.extra = one_day_prune(long_run)
    if short is not None:
        for day in range(fork, args.short_days):
            short.day(day, short_world)
    elapsed = time.perf_counter() - started
    for run in runs:
        run.close()

    meta = {
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                 text=True).stdout.strip(),
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "elapsed_s": elapsed,
    }  # fmt: skip
    print(report(runs, args, meta))
    print(f"simulated in {elapsed:.0f} s", file=sys.stderr)
    if args.out:
        args.out.write_text(json.dumps({"meta": meta, "args": {k: str(v) for k, v in vars(args).items()},
                                        "runs": {run.label: run.rows for run in runs}}, indent=1))  # fmt: skip
    if not args.keep_files:
        shutil.rmtree(args.dir, ignore_errors=True)


if __name__ == "__main__":
    main()

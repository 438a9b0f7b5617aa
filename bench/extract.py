"""Main-text extraction: wirewatch's own rules (bot.extract.pages) against trafilatura.

Run by hand: ``.venv/bin/python bench/extract.py [--reps 5] [--pages 300]``; figures go into bench/README.md.

Corpus A: article pages of the simulated news web (../shared/newsweb, SiteGen), English, Arabic and
mixed sites: speed, recall (the inserted watched name, the body paragraphs) and chrome leakage.
Corpus B: the WordPress-like fixture pages of tests/data/sites (expected.yaml): keyword groups found in
chrome (false positives) and groups of the page's own text that were lost (false negatives).
"""

from __future__ import annotations

import argparse
import email.utils
import html
import os
import platform
import re
import statistics
import subprocess
import time
from collections.abc import Callable

import trafilatura
import yaml
from common import NEWSWEB, ROOT, load

from bot.extract.pages import extract_article

SITES = ROOT / "tests" / "data" / "sites"


_TRAF = {"include_comments": False, "include_tables": False}


def _trafilatura_metadata(markup: str, url: str) -> str:
    """Same work as extract_article: title, date and canonical URL besides the text."""
    doc = trafilatura.bare_extraction(markup, url=url, with_metadata=True, **_TRAF)
    return (doc.text or "") if doc else ""


EXTRACTORS: dict[str, Callable[[str, str], str]] = {  # (markup, url) -> text
    "wirewatch": lambda m, u: extract_article(m, u).text,
    "trafilatura": lambda m, u: trafilatura.extract(m, url=u, favor_precision=False, **_TRAF) or "",
    "trafilatura precision": lambda m, u: trafilatura.extract(m, url=u, favor_precision=True, **_TRAF) or "",
    "trafilatura +metadata": _trafilatura_metadata,
}


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def corpus_a(count: int) -> list[dict]:
    server = load("newsweb_server", NEWSWEB / "server.py")  # SiteGen (the module imports aiohttp, which the venv has)
    gen = server.SiteGen(seed=1, base_url="http://127.0.0.1:8080", mention_rate=0.5)
    pages, sites = [], 12  # sites 0..11: lang is i % 3 (ar, en, mixed)
    for n in range(count):
        i, j = n % sites, 20 + n // sites
        latest = list(range(j, j - 20, -1))
        markup = gen.article(i, j, created=time.time(), latest=latest).decode("utf-8")
        body = markup[markup.index('<div class="body">') : markup.index('<section class="related">')]
        paras = [_fold(html.unescape(p)) for p in re.findall(r"<(?:p|blockquote)[^>]*>(.*?)</", body, re.S)]
        others = [gen.headline(i, k) for k in latest[:10] if k != j]
        pages.append({"url": gen.article_url(i, j), "markup": markup, "mention": gen.mention(i, j),
                      "paras": paras, "others": others})  # fmt: skip
    return pages


_SECTIONS = r"World|Politics|Business|Tech|Sport|Culture|Health|Science|Opinion|Video|Weather|Local"
_SECTIONS += r"|العالم|سياسة|اقتصاد|تكنولوجيا|رياضة|ثقافة|صحة|علوم|رأي|فيديو|الطقس|محليات"
LEAKS: dict[str, Callable[[str, dict], bool]] = {
    "leak: menu (>=3 section names)": lambda t, p: len(set(re.findall(rf"(?<!\w)({_SECTIONS})(?!\w)", t))) >= 3,
    "leak: sidebar/related headings": lambda t, p: any(
        s in t for s in ("Most read", "الأكثر قراءة", "Markets |", "Newsletter", "Related |", "ذات صلة")),
    "leak: other articles' headlines": lambda t, p: any(h in t for h in p["others"]),
    "leak: footer": lambda t, p: "All rights reserved" in t or "جميع الحقوق محفوظة" in t,
}  # fmt: skip


def score_a(pages: list[dict], texts: list[str]) -> dict[str, str]:
    with_mention = [(p, t) for p, t in zip(pages, texts, strict=True) if p["mention"]]
    found = sum(p["mention"] in t for p, t in with_mention)
    kept = [sum(q in _fold(t) for q in p["paras"]) / len(p["paras"]) for p, t in zip(pages, texts, strict=True)]
    rows = {"mention recall": f"{found}/{len(with_mention)} ({100 * found / len(with_mention):.1f}%)",
            "body paragraphs kept (mean)": f"{100 * statistics.mean(kept):.1f}%",
            "pages missing a body paragraph": str(sum(k < 1 for k in kept))}  # fmt: skip
    for name, leaked in LEAKS.items():
        rows[name] = str(sum(leaked(t, p) for p, t in zip(pages, texts, strict=True)))
    rows["pages with any leak"] = str(
        sum(any(f(t, p) for f in LEAKS.values()) for p, t in zip(pages, texts, strict=True))
    )
    return rows


def timed(pages: list[dict], reps: int) -> tuple[dict[str, list[str]], dict[str, float]]:
    """Each extractor over all pages ``reps`` times, extractors interleaved; median seconds per pass."""
    texts: dict[str, list[str]] = {}
    runs: dict[str, list[float]] = {name: [] for name in EXTRACTORS}
    for name, run in EXTRACTORS.items():  # warm-up (imports, caches), and the texts that are scored
        texts[name] = [run(p["markup"], p["url"]) for p in pages]
    for _ in range(reps):
        for name, run in EXTRACTORS.items():
            start = time.perf_counter()
            for p in pages:
                run(p["markup"], p["url"])
            runs[name].append(time.perf_counter() - start)
    return texts, {name: statistics.median(r) for name, r in runs.items()}


def _fill(markup: str) -> str:
    """The fixture placeholders: {{BASE}}, {{ISO:-3h}}, {{RFC822:-2h}} (any valid date will do)."""
    when = time.time() - 3 * 3600
    markup = markup.replace("{{BASE}}", "http://127.0.0.1:8000")
    markup = re.sub(r"\{\{ISO:[^}]*\}\}", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)), markup)
    return re.sub(r"\{\{RFC822:[^}]*\}\}", email.utils.formatdate(when, usegmt=True), markup)


def corpus_b() -> tuple[list[dict], dict[str, re.Pattern]] | None:
    """Article pages of tests/data/sites (AMP copies too), the groups their own text matches, the group regexes."""
    manifest = SITES / "expected.yaml"
    if not manifest.exists():
        return None
    data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    # the manifest's match_rule: case-insensitive, whole word, exact spelling
    words = r"(?<!\w)({})(?!\w)"
    terms = {name: "|".join(r"\s+".join(map(re.escape, t.split())) for t in ts) for name, ts in data["groups"].items()}
    groups = {name: re.compile(words.format(alternatives), re.I) for name, alternatives in terms.items()}
    pages = []
    for path, entry in data["articles"].items():
        for where in [path, *entry.get("also_at", ())]:
            file = where.strip("/") + ("/index.html" if where.endswith("/") else "")
            markup = (SITES / file).read_bytes().decode(entry.get("encoding", "utf-8"))
            pages.append({"file": file, "url": "http://127.0.0.1:8000" + where, "markup": _fill(markup),
                          "title": entry["title"], "groups": set(entry["groups"])})  # fmt: skip
    return pages, groups


def score_b(pages: list[dict], texts: list[str], groups: dict[str, re.Pattern]) -> tuple[dict[str, str], list[str]]:
    """Groups found in the manifest's title + the extracted text, against the groups the manifest expects."""
    fp = fn = 0
    notes = []
    for page, text in zip(pages, texts, strict=True):
        text = page["title"] + "\n" + text
        found = {name: hit for name, regex in groups.items() if (hit := regex.search(text))}
        fp += bool(found.keys() - page["groups"])
        fn += bool(page["groups"] - found.keys())
        for name in sorted(found.keys() ^ page["groups"]):
            hit = found.get(name)
            where = f"kept chrome: ...{_fold(text[max(0, hit.start() - 60) : hit.end() + 40])}..." if hit else "lost"
            notes.append(f"{page['file']}: {name} {where}")
    return {"B: pages with a chrome keyword (FP)": str(fp), "B: pages missing a group (FN)": str(fn)}, notes


def revision() -> str:
    """The commit measured, and whether bot/ had uncommitted changes."""
    git = ["git", "-C", str(ROOT)]
    head, dirty = (subprocess.run([*git, *cmd], capture_output=True, text=True).stdout.strip()
                   for cmd in (["rev-parse", "--short", "HEAD"], ["status", "--porcelain", "bot"]))  # fmt: skip
    return head + (" + uncommitted bot/ changes" if dirty else "")


def table(rows: dict[str, dict[str, str]]) -> str:
    names = list(EXTRACTORS)
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {metric} | " + " | ".join(cells[n] for n in names) + " |" for metric, cells in rows.items()]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("-v", "--verbose", action="store_true", help="list corpus B's misses page by page")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # single core
    pages = corpus_a(args.pages)
    size = sum(len(p["markup"].encode()) for p in pages) / len(pages) / 1000
    texts, seconds = timed(pages, args.reps)
    rows: dict[str, dict[str, str]] = {}
    for name in EXTRACTORS:
        cells = {"A: ms/page (median)": f"{1000 * seconds[name] / len(pages):.1f}",
                 "A: pages/s": f"{len(pages) / seconds[name]:.0f}"}  # fmt: skip
        cells.update({f"A: {k}": v for k, v in score_a(pages, texts[name]).items()})
        for metric, value in cells.items():
            rows.setdefault(metric, {})[name] = value
    b_pages, groups = corpus_b() or ([], {})
    notes: dict[str, list[str]] = {}
    if b_pages:
        for name, run in EXTRACTORS.items():
            cells, notes[name] = score_b(b_pages, [run(p["markup"], p["url"]) for p in b_pages], groups)
            for metric, value in cells.items():
                rows.setdefault(metric, {})[name] = value
    print(f"{time.strftime('%Y-%m-%d')}, nproc {os.cpu_count()}, Python {platform.python_version()}, "
          f"trafilatura {trafilatura.__version__}, {platform.machine()}, wirewatch {revision()}")  # fmt: skip
    print(f"corpus A: {len(pages)} pages, {size:.0f} KB mean, {sum(bool(p['mention']) for p in pages)} with a mention; "
          f"{args.reps} timed passes, one core")  # fmt: skip
    print(f"corpus B: {len(b_pages)} article pages" if b_pages else f"corpus B: no {SITES / 'expected.yaml'}")
    print(table(rows))
    for name, lines in notes.items() if args.verbose else ():
        print(f"\n{name}:", *(lines or ["no miss"]), sep="\n  ")


if __name__ == "__main__":
    main()

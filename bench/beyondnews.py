"""Main text beyond news: wirewatch's extractor on blogs, docs, government, NGO, shop and forum pages.

Run by hand: ``.venv/bin/python bench/beyondnews.py [--only wirewatch] [--worst 10] [--save P]``.

The pages are tests/data/beyondnews (its README.md says where each comes from and how it was labelled):
181 real pages that are mostly not news articles, in 11 languages, each with its main text labelled by others
(WCXB, CC-BY-4.0; mozilla/readability's test pages, Apache-2.0; newspaper4k's test pages, MIT). Scored with
../shared/realpages/score.py, the news benchmark's metric: word 4-gram shingles, per-page precision and recall,
their means, F1 of the means. Each extractor gets the page decoded as wirewatch's fetcher decodes it
(bot.extract.encoding) and its URL, as in bench/realpages.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import ROOT, load

from bot.extract import body
from bot.extract.encoding import decode
from bot.extract.html import parse
from bot.extract.pages import extract_article

BEYONDNEWS = Path(os.environ.get("BEYONDNEWS", ROOT / "tests" / "data" / "beyondnews"))

realpages = load("realpages", Path(__file__).with_name("realpages.py"))


def _trafilatura_with(**options: bool) -> Callable[[str, str], str]:
    def extract(markup: str, url: str) -> str:
        import trafilatura

        return trafilatura.extract(markup, url=url, **options) or ""

    return extract


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "wirewatch": lambda markup, url: extract_article(markup, url).text,
    "trafilatura": realpages._trafilatura,
    "trafilatura favor_precision": _trafilatura_with(favor_precision=True),
    "trafilatura favor_recall": _trafilatura_with(favor_recall=True),
    "readability-lxml": realpages._readability,
    "our rules alone": lambda markup, url: body.own_rules(parse(markup)),
}
PER_KIND = ("wirewatch", "trafilatura")


def load_pages(folder: Path = BEYONDNEWS) -> dict[str, dict[str, str]]:
    """id -> the page's ground-truth entry (url, articleBody, kind, lang, source) and its decoded ``markup``."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for key, item in truth.items():
        item["markup"] = decode(gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes()))
    return truth


def run(name: str, pages: dict[str, dict[str, str]]) -> tuple[dict[str, str], list[float], int]:
    """Each page's extracted text, the ms each took, and how many pages raised (scored as empty)."""
    extractor = EXTRACTORS[name]
    out, times, errors = {}, [], 0
    for key, page in pages.items():
        start = time.perf_counter()
        try:
            out[key] = extractor(page["markup"], page["url"])
        except Exception:  # a reader that raises on a page reads nothing from it
            out[key], errors = "", errors + 1
        times.append((time.perf_counter() - start) * 1000)
    return out, times, errors


def score(scorer, truth: dict, preds: dict) -> tuple[float, float, float, list]:
    """score.py's figures; a subset where nothing was extracted scores 0 rather than dividing by zero."""
    try:
        return scorer.score(truth, preds)
    except ZeroDivisionError:
        return 0.0, 0.0, 0.0, [(key, 0.0, 0.0, item.get("url", "")) for key, item in truth.items()]


def f1(pr: tuple[float, float]) -> float:
    return 2 * pr[0] * pr[1] / (pr[0] + pr[1]) if pr[0] + pr[1] else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=list(EXTRACTORS), help="run only these extractors")
    parser.add_argument("--worst", type=int, default=10, help="pages where wirewatch trails trafilatura most")
    parser.add_argument("--save", type=Path, help="write wirewatch's predictions in score.py's format")
    args = parser.parse_args()
    scorer = realpages._scorer()
    pages = load_pages()
    truth = {key: {"articleBody": page["articleBody"], "url": page["url"]} for key, page in pages.items()}
    names = args.only or list(EXTRACTORS)
    preds, results = {}, {}
    print(f"{len(pages)} pages from {BEYONDNEWS}\n")
    print("| extractor | F1 | precision | recall | pages < half the body | ms/page (median) | errors |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        texts, times, errors = run(name, pages)
        preds[name] = {key: {"articleBody": text} for key, text in texts.items()}
        f1_, precision, recall, rows = score(scorer, truth, preds[name])
        results[name] = {key: (p, r) for key, p, r, _ in rows}
        short = sum(1 for _, _, r, _ in rows if r < 0.5)
        print(f"| {name} | {f1_:.3f} | {precision:.3f} | {recall:.3f} | {short} | {statistics.median(times):.1f} | "
              f"{errors} |")  # fmt: skip
        if name == "wirewatch" and args.save:
            args.save.write_text(json.dumps(preds[name], ensure_ascii=False), encoding="utf-8")

    def subset(field: str, value: str) -> dict:
        """The truth of the pages whose ``field`` (its first word) is ``value``."""
        return {key: item for key, item in truth.items() if pages[key][field].split()[0] == value}

    shown = [n for n in PER_KIND if n in preds]
    if shown:
        print("\nBy kind (F1 / precision / recall):")
        print(f"| kind | pages | {' | '.join(shown)} | pages < half: {' / '.join(shown)} |")
        print(f"|---|---|{'---|' * len(shown)}---|")
        for kind in sorted({page["kind"] for page in pages.values()}):
            part = subset("kind", kind)
            cells, shorts = [], []
            for name in shown:
                f1_, precision, recall, rows = score(scorer, part, preds[name])
                cells.append(f"{f1_:.3f} / {precision:.3f} / {recall:.3f}")
                shorts.append(str(sum(1 for _, _, r, _ in rows if r < 0.5)))
            print(f"| {kind} | {len(part)} | {' | '.join(cells)} | {' / '.join(shorts)} |")
        print("\nBy source of the labels (F1; the readability and newspaper4k labels are those tools' own output):")
        print(f"| source | pages | {' | '.join(names)} |")
        print(f"|---|---|{'---|' * len(names)}")
        for source in sorted({page["source"].split()[0] for page in pages.values()}):
            part = subset("source", source)
            cells = [f"{score(scorer, part, preds[name])[0]:.3f}" for name in names]
            print(f"| {source} | {len(part)} | {' | '.join(cells)} |")

    if args.worst and not {"wirewatch", "trafilatura"} <= set(results):
        print("\n(--worst compares wirewatch with trafilatura: run both)")
    elif args.worst:
        print(f"\nThe {args.worst} pages where wirewatch trails trafilatura (defaults) most, by page F1:")
        print("| page | kind | lang | wirewatch P / R | trafilatura P / R | url |")
        print("|---|---|---|---|---|---|")
        ours, theirs = results["wirewatch"], results["trafilatura"]
        gaps = sorted(((f1(theirs[key]) - f1(ours[key]), key) for key in ours), reverse=True)
        for gap, key in gaps[: args.worst]:
            if gap <= 0:
                break
            (p, r), (tp, tr) = ours[key], theirs[key]
            page = pages[key]
            print(
                f"| {key} | {page['kind']} | {page['lang']} | {p:.2f} / {r:.2f} | {tp:.2f} / {tr:.2f} | {page['url']} |"
            )


if __name__ == "__main__":
    sys.exit(main())

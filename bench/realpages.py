"""Main text on real pages: wirewatch's extractor against trafilatura and readability-lxml.

Run by hand: ``.venv/bin/python bench/realpages.py [--only wirewatch] [--ablation] [--worst 15] [--save P]``.
Needs ``pip install readability-lxml`` for its anchor row (trafilatura is a runtime dependency).

The pages are ../shared/realpages: 181 real news and blog pages whose bodies people labelled (the
scrapinghub article-extraction benchmark, MIT). Scored with that folder's score.py: word 4-gram
shingles, per-page precision and recall, their means, F1 of the means. Figures go in bench/README.md.
Each extractor gets the page as wirewatch's fetcher would hand it on (bytes decoded by
bot.extract.encoding) and the page's URL.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from common import REALPAGES, load

from bot.extract import body
from bot.extract.encoding import decode
from bot.extract.html import parse
from bot.extract.pages import extract_article


def _scorer():
    return load("realpages_score", REALPAGES / "score.py")


def _trafilatura(markup: str, url: str) -> str:
    import trafilatura

    return trafilatura.extract(markup, url=url) or ""


def _readability(markup: str, url: str) -> str:
    from lxml import html as lxml_html
    from readability import Document

    summary = Document(markup, url=url).summary(html_partial=True)
    return lxml_html.fromstring(summary).text_content() if summary.strip() else ""


EXTRACTORS: dict[str, Callable[[str, str], str]] = {
    "wirewatch": lambda markup, url: extract_article(markup, url).text,
    "trafilatura": _trafilatura,
    "readability-lxml": _readability,
}


def _two_voters(markup: str, url: str) -> str:
    """trafilatura and readability only: without a third reading, the longer of two that disagree."""
    engine = body._trafilatura(parse(markup), url)
    other = body._readability(markup)
    return engine if body.similarity(engine, other) >= body.AGREE or len(engine) >= len(other) else other


# What each part of bot/extract/body.py adds: every rule has to earn its place (--ablation).
ABLATIONS: dict[str, Callable[[str, str], str]] = {
    "trafilatura precision alone (our engine call)": lambda markup, url: body._trafilatura(parse(markup), url),
    "our rules alone": lambda markup, url: body.own_rules(parse(markup)),
    "trafilatura + readability, the longer": _two_voters,
}


def load_pages(folder: Path = REALPAGES) -> dict[str, tuple[str, str, str]]:
    """id -> (markup, url, labelled body)."""
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for key, item in truth.items():
        raw = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        pages[key] = (decode(raw), item["url"], item["articleBody"])
    return pages


def run(name: str, pages: dict[str, tuple[str, str, str]]) -> tuple[dict[str, str], list[float]]:
    extractor = EXTRACTORS.get(name) or ABLATIONS[name]
    out, times = {}, []
    for key, (markup, url, _) in pages.items():
        start = time.perf_counter()
        out[key] = extractor(markup, url)
        times.append((time.perf_counter() - start) * 1000)
    return out, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=list(EXTRACTORS), help="run only these extractors")
    parser.add_argument("--worst", type=int, default=15, help="pages where wirewatch is furthest behind")
    parser.add_argument("--save", type=Path, help="write wirewatch's predictions in score.py's format")
    parser.add_argument("--ablation", action="store_true", help="also score the ensemble's parts alone")
    args = parser.parse_args()
    scorer = _scorer()
    pages = load_pages()
    truth = {key: {"articleBody": body, "url": url} for key, (_, url, body) in pages.items()}
    names = args.only or list(EXTRACTORS)
    names += list(ABLATIONS) if args.ablation else []
    results = {}
    print(f"{len(pages)} pages from {REALPAGES}\n")
    print("| extractor | F1 | precision | recall | ms/page (median) | ms/page (mean) | pages < half the body |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        texts, times = run(name, pages)
        preds = {key: {"articleBody": text} for key, text in texts.items()}
        f1, precision, recall, rows = scorer.score(truth, preds)
        short = sum(1 for key, _, r, _ in rows if r < 0.5)
        results[name] = {key: (p, r) for key, p, r, _ in rows}
        print(f"| {name} | {f1:.3f} | {precision:.3f} | {recall:.3f} | {statistics.median(times):.1f} | "
              f"{statistics.mean(times):.1f} | {short} |")  # fmt: skip
        if name == "wirewatch" and args.save:
            args.save.write_text(json.dumps(preds, ensure_ascii=False), encoding="utf-8")
    if "wirewatch" in results and args.worst:
        others = [n for n in names if n in EXTRACTORS and n != "wirewatch"]
        print(f"\nPages where wirewatch is furthest behind{' the best of ' + ', '.join(others) if others else ''}:")
        print("| page | wirewatch P / R | best other P / R | url |")
        print("|---|---|---|---|")

        def f1(pr: tuple[float, float]) -> float:
            return 2 * pr[0] * pr[1] / (pr[0] + pr[1]) if pr[0] + pr[1] else 0.0

        gaps = []
        for key, ours in results["wirewatch"].items():
            best = max((results[n][key] for n in others), key=f1, default=(1.0, 1.0))
            gaps.append((f1(best) - f1(ours), key, ours, best))
        for _gap, key, ours, best in sorted(gaps, reverse=True)[: args.worst]:
            print(f"| {key[:10]} | {ours[0]:.2f} / {ours[1]:.2f} | {best[0]:.2f} / {best[1]:.2f} | {pages[key][1]} |")


if __name__ == "__main__":
    sys.exit(main())

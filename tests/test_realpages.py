"""Main text on real pages: a labelled slice of the benchmark (tests/data/realpages/README.md).

Synthetic pages cannot catch a regression here (every extractor scores 100 % on them); these can.
The metric is the benchmark's: word 4-gram shingles with multiplicity, per-page precision and recall,
F1 of their means.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.extract.encoding import decode
from bot.extract.pages import extract_article

DATA = Path(__file__).parent / "data" / "realpages"
TRUTH = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))

# Measured on this slice when it was chosen: F1 0.939, precision 0.908, recall 0.974 (the slice holds the
# hard pages; on all 181 the figure is 0.972, bench/README.md).
MEASURED_F1 = 0.939
MARGIN = 0.02


def _shingles(text: str) -> Counter:
    words = re.findall(r"\w+", text)
    return Counter(tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3)) if words[i : i + 4])


def _precision_recall(truth: str, predicted: str) -> tuple[float, float]:
    t, p = _shingles(truth), _shingles(predicted)
    tp, fp, fn = (t & p).total(), (p - t).total(), (t - p).total()
    if fp == fn == 0:
        return 1.0, 1.0
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def precision_recall_per_page(folder: Path, truth: dict) -> dict[str, tuple[float, float]]:
    """Each labelled page of ``folder`` (html/<id>.html.gz) read by ``extract_article``, against its label."""
    out = {}
    for key, item in truth.items():
        markup = decode(gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes()))
        out[key] = _precision_recall(item["articleBody"], extract_article(markup, item["url"]).text)
    return out


@pytest.fixture(scope="module")
def scores() -> dict[str, tuple[float, float]]:
    return precision_recall_per_page(DATA, TRUTH)


def test_f1_on_the_slice_holds(scores: dict[str, tuple[float, float]]) -> None:
    precision = sum(p for p, _ in scores.values()) / len(scores)
    recall = sum(r for _, r in scores.values()) / len(scores)
    f1 = 2 * precision * recall / (precision + recall)
    assert f1 >= MEASURED_F1 - MARGIN, f"F1 {f1:.3f} (precision {precision:.3f}, recall {recall:.3f})"


@pytest.mark.parametrize("key", sorted(TRUTH))
def test_no_page_loses_half_its_body(scores: dict[str, tuple[float, float]], key: str) -> None:
    """A body half lost is a keyword half the time never seen: the silent missed alert."""
    _, recall = scores[key]
    assert recall >= 0.5, f"{TRUTH[key]['url']}: recall {recall:.2f}"

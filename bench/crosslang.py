"""Cross-language story link, pair by pair, on tests/data/crosslang: precision and recall of the rule in
bot/clues/ (no HTTP, no store: the clues of each report's title and text, and ``score``).

Positives: each event's English and Arabic report. Negatives: every other pair of reports in two languages published
within the window: a distractor and the event it was written to be confused with, a distractor and any other
event, two different events (the store compares fewer: only reports that name a place in common).

    python bench/crosslang.py [--threshold 4.5] [--show]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot import clues
from tests.crosslang_web import DISTRACTORS, EVENTS, hours, reports


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=clues.THRESHOLD)
    parser.add_argument("--show", action="store_true", help="print every pair's score and reasons")
    args = parser.parse_args()
    clues.THRESHOLD = args.threshold
    read = {r["key"]: clues.read(r["title"], r["text"]) for r in reports()}
    by_key = {r["key"]: r for r in reports()}
    lang = {r["key"]: r.get("lang") for r in reports()}

    def judge(a: str, b: str) -> clues.Verdict:
        return clues.score(read[a], read[b], 1)

    positives = [(f"{e['id']}/en", f"{e['id']}/ar") for e in EVENTS]
    keys = list(by_key)

    def apart(a: str, b: str) -> bool:
        """Two reports of two events (or of an event and a distractor) in two languages, within the window."""
        ra, rb = by_key[a], by_key[b]
        same = ra["event"] is not None and ra["event"] == rb["event"]
        near = abs(hours(ra["published"]) - hours(rb["published"])) * 3600 <= clues.WINDOW
        return lang[a] != lang[b] and not same and near

    negatives = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :] if apart(a, b)]
    found = [p for p in positives if judge(*p).same]
    merged = [n for n in negatives if judge(*n).same]
    distractor_ids = {d["id"] for d in DISTRACTORS}
    distractor_merges = [n for n in merged if distractor_ids & set(n)]
    recall = len(found) / len(positives)
    precision = len(found) / (len(found) + len(merged)) if found or merged else 1.0
    print(f"threshold {clues.THRESHOLD:g}: recall {recall:.3f} ({len(found)}/{len(positives)}), precision "
          f"{precision:.3f}; wrong merges {len(merged)} of {len(negatives)} negative pairs "
          f"({len(distractor_merges)} with a distractor)")  # fmt: skip
    if args.show:
        for label, pairs in (("event", positives), ("negative", negatives)):
            for a, b in pairs:
                verdict = judge(a, b)
                if label == "event" or verdict.score > 0:
                    mark = "MERGED" if verdict.same else "apart"
                    print(f"{label:8} {mark:6} {verdict.score:5.2f} {a} ~ {b}: {'; '.join(verdict.reasons)}")


if __name__ == "__main__":
    main()

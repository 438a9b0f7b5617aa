"""Cross-language story link, pair by pair, on tests/data/crosslang: precision and recall of the rule in
bot/clues/ (no HTTP, no store: the clues of each report's title and text, and ``score``).

Positives: each event's English and Arabic report. Negatives: every other pair of reports in two languages published
within the window: a distractor and the event it was written to be confused with, a distractor and any other
event, two different events (the store compares fewer: only reports that name a place in common).

    python bench/crosslang.py [--threshold 4.5] [--show]

Both corpora: events.yaml, on which the rule was built, and heldout.yaml, written afterwards by another author
who saw neither the rule nor the first corpus.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from bot import clues
from tests.crosslang_web import CORPORA, corpus, hours, reports


def measure(name: str) -> dict:
    """Recall, precision and the pairs of the rule on one corpus of tests/data/crosslang."""
    events, distractors = corpus(name)
    everything = reports(events, distractors)
    read = {r["key"]: clues.read(r["title"], r["text"]) for r in everything}
    by_key = {r["key"]: r for r in everything}

    def apart(a: str, b: str) -> bool:
        """Two reports of two events (or of an event and a distractor) in two languages, within the window."""
        ra, rb = by_key[a], by_key[b]
        same = ra["event"] is not None and ra["event"] == rb["event"]
        near = abs(hours(ra["published"]) - hours(rb["published"])) * 3600 <= clues.WINDOW
        return ra["lang"] != rb["lang"] and not same and near

    keys = list(by_key)
    positives = [(f"{e['id']}/en", f"{e['id']}/ar") for e in events]
    negatives = [(a, b) for i, a in enumerate(keys) for b in keys[i + 1 :] if apart(a, b)]
    verdicts = {pair: clues.score(read[pair[0]], read[pair[1]], 1) for pair in positives + negatives}
    found = [p for p in positives if verdicts[p].same]
    merged = [n for n in negatives if verdicts[n].same]
    return {"recall": len(found) / len(positives),
            "precision": len(found) / (len(found) + len(merged)) if found or merged else 1.0,
            "found": found, "positives": positives, "merged": merged, "negatives": negatives,
            "with_distractor": [n for n in merged if {d["id"] for d in distractors} & set(n)],
            "verdicts": verdicts}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=clues.THRESHOLD)
    parser.add_argument("--show", action="store_true", help="print every event's score and each wrong merge")
    args = parser.parse_args()
    clues.THRESHOLD = args.threshold
    for name in CORPORA:
        m = measure(name)
        print(f"{name}: threshold {clues.THRESHOLD:g}: recall {m['recall']:.3f} ({len(m['found'])}/"
              f"{len(m['positives'])}), precision {m['precision']:.3f}; wrong merges {len(m['merged'])} of "
              f"{len(m['negatives'])} negative pairs ({len(m['with_distractor'])} with a distractor)")  # fmt: skip
        if args.show:
            for pair in m["positives"] + m["merged"]:
                verdict = m["verdicts"][pair]
                label = "event" if pair in m["positives"] else "WRONG"
                state = "merged" if verdict.same else "apart"
                print(f"  {label:5} {state:6} {verdict.score:5.2f} {pair[0]} ~ {pair[1]}: {'; '.join(verdict.reasons)}")


if __name__ == "__main__":
    main()

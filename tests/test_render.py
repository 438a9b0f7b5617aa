"""The spelling that fired, highlighted in each chat's alert where the matcher found it (``Alert.mark``), with
the words around it kept apart, and never at the price of making scraped text live."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.chat.inert import marked
from bot.console import print_alerts
from bot.match import alert_snippet
from bot.matrix import render as matrix
from bot.models import Alert, Match
from bot.slack import render as slack

TEXT = "Water trucks reached the countryside of Dayr al-Zor on Tuesday, after the pumping station broke down."


def alert(snippet: str, mark: tuple[int, int] | None) -> Alert:
    return Alert(id=1, article_id=1, url="https://news.example/a", title="Water", source="Outlet",
                 published=datetime(2026, 12, 4, tzinfo=UTC), keywords=["Deir ez-Zor"], snippet=snippet,
                 matches=[Match("Deir ez-Zor", "Deir ez-Zor", "Dayr al-Zor", 0, 11)], mark=mark)  # fmt: skip


def test_the_snippet_carries_where_the_match_is():
    at = TEXT.index("Dayr al-Zor")
    snippet = alert_snippet("Water", TEXT, [Match("Deir ez-Zor", "Deir ez-Zor", "Dayr al-Zor", at + 6, at + 17)])
    assert snippet.mark is not None
    assert snippet.text[snippet.mark[0] : snippet.mark[1]] == "Dayr al-Zor"


def test_the_highlight_is_a_word_of_its_own_in_every_chat(capsys):
    start = TEXT.index("Dayr al-Zor")
    shown = alert(TEXT, (start, start + len("Dayr al-Zor")))
    assert "of *Dayr al-Zor* on Tuesday" in slack.snippet(shown)
    html = matrix.alert_message(shown).body["content"]["formatted_body"]
    assert "of <b>Dayr al-Zor</b> on Tuesday" in html
    print_alerts([shown])
    assert "of »Dayr al-Zor« on Tuesday" in capsys.readouterr().out


def test_the_mark_is_used_not_searched_for():
    """The same spelling twice: the mark says which one fired (a search would take the first)."""
    text = "Dayr al-Zor said nothing; later, in Dayr al-Zor itself, the market reopened."
    start = text.rindex("Dayr al-Zor")
    pieces = marked(text, (start, start + 11))
    assert pieces == ("Dayr al-Zor said nothing; later, in ", "Dayr al-Zor", " itself, the market reopened.")


def test_a_link_across_the_cut_is_not_highlighted_and_stays_defanged():
    text = "Read more at deirezzor.example today"
    start = text.index("deirezzor")
    assert marked(text, (start, start + len("deirezzor"))) is None  # cut alone, ".example" would not be a host
    shown = alert(text, (start, start + len("deirezzor")))
    assert "deirezzor[.]example" in slack.snippet(shown) and "*" not in slack.snippet(shown)
    assert "deirezzor[.]example" in matrix.alert_message(shown).body["content"]["formatted_body"]


def test_no_mark_or_a_stale_one_shows_the_snippet_plain():
    assert marked(TEXT, None) is None and marked(TEXT, (5, 500)) is None
    assert slack.snippet(alert(TEXT, None)) == slack.mrkdwn(TEXT)

"""Canonical URLs: every spelling of one article's address folds to one key; different articles stay apart."""

from __future__ import annotations

import pytest

from bot.urls import canonical_url, trusted_canonical

SAME = [
    ("https://example.org/2026/11/story/", "https://example.org/2026/11/story"),
    ("HTTPS://Example.ORG/2026/11/story", "https://example.org/2026/11/story"),
    ("https://www.example.org/2026/11/story", "https://example.org/2026/11/story"),
    ("https://example.org:443/2026/11/story", "https://example.org/2026/11/story"),
    ("http://example.org:80/a", "http://example.org/a"),
    ("https://example.org/a?utm_source=rss&utm_medium=feed&utm_campaign=x", "https://example.org/a"),
    ("https://example.org/a?fbclid=IwAR0abc", "https://example.org/a"),
    ("https://example.org/a?gclid=1&utm_medium=social", "https://example.org/a"),
    ("https://example.org/a#comments", "https://example.org/a"),
    ("https://example.org/a?id=7&utm_source=x#top", "https://example.org/a?id=7"),
    ("https://example.org/a?b=2&a=1", "https://example.org/a?a=1&b=2"),
    ("https://example.org/%7Euser/a", "https://example.org/~user/a"),
    ("https://example.org//a//b", "https://example.org/a/b"),
    ("https://example.org/news/index.html", "https://example.org/news"),
    ("https://example.org", "https://example.org/"),
]
DIFFERENT = [
    ("https://example.org/a?id=7", "https://example.org/a?id=8"),
    ("https://example.org/a", "https://example.org/b"),
    ("https://example.org/a", "https://other.org/a"),
    ("http://example.org:8080/a", "http://example.org/a"),
    ("https://example.org/news/%D8%AF%D9%8A%D8%B1", "https://example.org/news/%D8%AF%D9%8A%D8%B2"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_article(a, b):
    assert canonical_url(a) == canonical_url(b)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_articles(a, b):
    assert canonical_url(a) != canonical_url(b)


def test_relative_url_resolved_against_base():
    assert canonical_url("../b/c.html", "https://example.org/a/x/") == "https://example.org/a/b/c.html"


def test_arabic_path_same_encoded_or_not():
    assert canonical_url("https://example.org/news/دير-الزور") == canonical_url(
        "https://example.org/news/%D8%AF%D9%8A%D8%B1-%D8%A7%D9%84%D8%B2%D9%88%D8%B1"
    )


@pytest.mark.parametrize(
    ("page", "canonical", "trusted"),
    [
        ("https://x.org/amp/story-7.html", "https://x.org/stories/story-7.html", True),
        ("https://x.org/a?id=7", "https://x.org/a?id=7", True),
        ("https://x.org/site1/article/3.html", "https://x.org/site1/", False),  # points at its section
        ("https://x.org/news/a-story", "https://x.org/", False),  # the home page
        ("https://x.org/news/a-story", "https://partner.org/original/a-story", True),  # syndication
        ("https://x.org/news/a-story", "javascript:alert(1)", False),
        ("https://x.org/news/a-story", None, False),
    ],
)
def test_trusted_canonical(page, canonical, trusted):
    result = trusted_canonical(page, canonical)
    assert (result is not None and result == canonical) is trusted

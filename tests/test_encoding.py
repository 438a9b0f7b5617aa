"""Bytes to text: HTTP header, then BOM, then the page's own declaration, then detection."""

from __future__ import annotations

import codecs

import pytest

from bot.extract.encoding import decode, sniff

ARABIC = "قالت مصادر محلية إن رتلاً عسكرياً وصل إلى دير الزور، وأكدت أن الطريق مغلقة."


def page(meta: str, body: str = ARABIC, title: str = "خبر") -> str:
    return f"<html><head>{meta}<title>{title}</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize(
    "meta",
    [
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">',
        '<meta charset="windows-1256">',
        "<meta charset=windows-1256>",
        '<meta content="text/html; charset=cp1256" http-equiv="content-type">',
    ],
)
def test_windows_1256_declared_only_in_meta(meta):
    raw = page(meta).encode("cp1256")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert ARABIC in decode(raw, header_charset=None)


def test_meta_after_a_long_head_of_scripts():
    raw = page("<script>" + "var a=1;" * 500 + "</script><meta charset='windows-1256'>").encode("cp1256")
    assert ARABIC in decode(raw)


def test_header_wins_over_meta():
    raw = page('<meta charset="iso-8859-1">').encode("utf-8")
    assert ARABIC in decode(raw, header_charset="utf-8")


def test_bom_wins_over_meta():
    raw = codecs.BOM_UTF8 + page('<meta charset="windows-1256">').encode("utf-8")
    assert sniff(raw) == "utf-8"
    assert decode(raw).startswith("<html>")


def test_undeclared_utf8():
    assert ARABIC in decode(page("").encode("utf-8"))


def test_undeclared_legacy_arabic_is_detected():
    body = " ".join([ARABIC] * 8)
    assert ARABIC in decode(page("", body).encode("cp1256"))


def test_latin1_label_means_windows_1252():
    raw = page('<meta charset="iso-8859-1">', "It’s “quoted”", title="News").encode("cp1252")
    assert "It’s “quoted”" in decode(raw)


def test_unknown_label_falls_through_to_detection():
    raw = page('<meta charset="x-no-such-charset">').encode("utf-8")
    assert ARABIC in decode(raw)

"""Bytes to text, in the order browsers trust: HTTP header, BOM, in-document declaration, detection.

Arabic sites still serve windows-1256 declared only in a ``<meta>`` tag; guessing UTF-8 there turns
every Arabic word into mojibake, and no keyword would ever match.
"""

from __future__ import annotations

import codecs

from bs4.dammit import EncodingDetector

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_PRESCAN = 8192  # a <meta charset> after a long <head> of scripts is common; scanning further is not


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'"))
    except LookupError:
        return None
    # WHATWG: a page labelled latin-1 or ascii is decoded as windows-1252, which is what the author meant
    return "cp1252" if codec.name in ("iso8859-1", "ascii", "latin-1") else codec.name


def sniff(content: bytes, header_charset: str | None = None, is_html: bool = True) -> str:
    """The encoding to decode ``content`` with."""
    declared = _known(header_charset)
    if declared:
        return declared
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    declared = _known(
        EncodingDetector.find_declared_encoding(content[:_PRESCAN], is_html=is_html, search_entire_document=True)
    )
    if declared and not declared.startswith("utf_16"):  # a utf-16 label on a byte-oriented page is a lie
        return declared
    try:
        content.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(content[:65536]).best()
    return _known(best.encoding) if best is not None else "cp1252"


def decode(content: bytes, header_charset: str | None = None, is_html: bool = True) -> str:
    encoding = sniff(content, header_charset, is_html) or "utf-8"
    text = content.decode(encoding, errors="replace")
    return text.removeprefix("\ufeff")

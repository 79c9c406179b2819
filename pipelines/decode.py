"""Bytes to text: find the charset a page is really stored in.

Order: HTTP header charset, BOM, <meta>, then detection — and every candidate is verified, because
saved pages often declare a charset they are not stored in. Legacy Chinese charsets are widened to
their supersets (GB2312/GBK -> GB18030, Big5 -> Big5-HKSCS) since sites use characters outside them.
"""
from __future__ import annotations

import codecs
import logging
import re

from charset_normalizer import from_bytes

logger = logging.getLogger(__name__)

WIDER = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs", "x-big5": "big5hkscs",
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "ascii": "utf-8", "us-ascii": "utf-8",
}
HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f]")  # C0 controls other than \t \n \r \f
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class DecodeError(Exception):
    """No charset gives plausible text."""


def normalise_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return WIDER.get(name) or WIDER.get(canonical) or canonical


def candidates(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(charset, where it came from), most trusted first."""
    found = []
    if content_type and (m := HEADER_CHARSET.search(content_type)):
        found.append((m.group(1), "header"))
    for bom, name in BOMS:
        if body.startswith(bom):
            found.append((name, "bom"))
    if m := META_CHARSET.search(body[:4096]):
        found.append((m.group(1).decode("ascii", "replace"), "meta"))
    found.append(("utf-8", "default"))
    return found


def plausible(text: str) -> bool:
    """Decoded text looks like text: almost no replacement or control characters."""
    if not text:
        return True
    sample = text[:20000]
    bad = sample.count("\ufffd") + len(CONTROL_CHARS.findall(sample))
    return bad <= max(2, len(sample) // 2000)


def decode(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, charset). Raises DecodeError when nothing gives plausible text."""
    if not body:
        return "", "utf-8"
    tried = set()
    for name, source in candidates(body, content_type):
        charset = normalise_charset(name)
        if not charset or charset in tried:
            continue
        tried.add(charset)
        try:
            text = body.decode(charset)
        except (UnicodeDecodeError, LookupError):
            logger.debug("declared charset %s (%s) does not decode", name, source)
            continue
        if plausible(text):
            return text, charset
    best = from_bytes(body[:200000]).best()
    if best is not None:
        charset = normalise_charset(best.encoding) or best.encoding
        text = body.decode(charset, errors="replace")
        if plausible(text):
            return text, charset
    raise DecodeError("no charset gives readable text (binary or corrupt input?)")

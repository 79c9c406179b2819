"""Bytes to text: read a page in the charset a browser would, and never lose it to a bad byte.

Order (the WHATWG sniffing order, with checks saved pages need because they often declare a
charset they are not stored in):

1. a byte order mark;
2. a body that is valid UTF-8 with non-ASCII in it is UTF-8, whatever it declares (a legacy
   Chinese page is valid UTF-8 only by accident, and not for more than a few bytes);
3. the declared charsets: HTTP header, then `<meta charset>` / `http-equiv` / the XML declaration
   (w3lib's prescan, which skips comments), then a looser `charset=` or `encoding=` attribute
   anywhere in the head; a single-byte charset (a server's ISO-8859-1 default) gives way when the
   bytes read as Chinese in GB18030 or Big5;
4. detection (charset-normalizer), its guess checked against script statistics: a guess of a
   non-Chinese charset — a Cyrillic code page, Korean without Hangul, Japanese without kana —
   gives way to a GB18030/Big5 reading that is Chinese text;
5. GB18030 or Big5 if either reads as Chinese (what a Chinese browser falls back to).

Every candidate is decoded with replacement, so a stray invalid byte, a body cut mid-character or a
truncated stream costs a replacement character, not the page; stray C0 control bytes are dropped.
`plausible()` then judges the text: a page is rejected (DecodeError) only when no reading gives
text with few replacement characters — binary or thoroughly corrupt input.
Legacy Chinese charsets are widened to their supersets (GB2312/GBK -> GB18030, Big5 ->
Big5-HKSCS) since sites use characters outside them.
"""
from __future__ import annotations

import codecs
import functools
import logging
import re
from dataclasses import dataclass
from typing import NamedTuple

from charset_normalizer import from_bytes
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom, to_unicode

from pipelines.han import count as count_han

logger = logging.getLogger(__name__)

WIDER = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "gb18030": "gb18030",
    "big5": "big5hkscs", "big5-hkscs": "big5hkscs", "cp950": "big5hkscs", "x-big5": "big5hkscs",
    "iso-8859-1": "cp1252", "latin-1": "cp1252", "ascii": "utf-8", "us-ascii": "utf-8",
}
# declarations w3lib's prescan does not honour: charset= in any <meta>, encoding= on any tag
LOOSE_DECLARATION = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)|\sencoding\s*=\s*["']\s*([\w.:-]+)""",
                               re.I)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # C0 controls (and DEL) other than whitespace
HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")
KANA = re.compile(r"[\u3040-\u30ff]")
LETTER = re.compile(r"[^\W\d_a-zA-Z]")  # letters outside ASCII
CHINESE = ("gb18030", "big5hkscs")
SAMPLE = 200_000  # bytes that detection and the script statistics look at
# Bytes of a body decoded at all: 3 million characters (all that extraction parses, html.MAX_HTML_CHARS)
# take at most 12 MB in UTF-8; decoding the rest of a 64 MiB file would cost ~256 MB of text for nothing.
MAX_DECODE_BYTES = 12 * 1024 * 1024


class DecodeError(Exception):
    """No charset gives plausible text."""


@dataclass(frozen=True)
class Decoded:
    text: str
    charset: str
    source: str  # bom | utf-8 | header | meta | attribute | detected | chinese | empty
    replaced: int = 0  # replacement characters the decoding put in (invalid or cut-off bytes)
    controls: int = 0  # stray control characters dropped


def _xml_safe_space(text: str) -> str:
    """Vertical tab and form feed are whitespace to HTML but not allowed in XML, so lxml refuses
    text holding them (ValueError on a tree edit): they become spaces. (str.replace, not
    str.translate, which looks every character of a CJK page up in its table: 40x slower.)"""
    return text.replace("\x0b", " ").replace("\x0c", " ")


def normalise_charset(name: str | None) -> str | None:
    if not name:
        return None
    name = name.strip().lower()
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    if canonical == "utf-7":  # no browser reads it: it re-spells markup in ASCII
        return None
    return WIDER.get(name) or WIDER.get(canonical) or canonical


@functools.lru_cache(maxsize=64)
def single_byte(charset: str) -> bool:
    """Every byte is one character (so any bytes 'decode': the charset proves nothing by itself)."""
    try:
        return len(bytes(range(256)).decode(charset, "replace")) == 256
    except LookupError:
        return False


def declared(body: bytes, content_type: str | None) -> list[tuple[str, str]]:
    """(charset label, where it came from) the page declares, most trusted first."""
    found = []
    if content_type and (name := http_content_type_encoding(content_type)):
        found.append((name, "header"))
    if name := html_body_declared_encoding(body[:4096]):
        found.append((name, "meta"))
    for m in LOOSE_DECLARATION.finditer(body[:8192]):
        found.append(((m.group(1) or m.group(2)).decode("ascii", "replace"), "attribute"))
    return found


def plausible(text: str, controls: int = 0) -> bool:
    """Decoded text looks like text: few replacement characters (a bad byte costs up to three),
    and few control characters (`controls`: those already dropped from `text`). Binary input read
    in any charset has far more of both."""
    if not text:
        return True
    sample = text[:20000]
    share = min(1.0, len(sample) / max(1, len(text)))
    replaced = sample.count("\ufffd")
    controls = round(controls * share) + len(CONTROL_CHARS.findall(sample))
    return replaced <= max(8, len(sample) // 500) and controls <= max(64, len(sample) // 50)


def _read(body: bytes, charset: str, source: str) -> Decoded:
    raw = to_unicode(body, charset)  # invalid bytes become U+FFFD (GB18030: a lone 0x80 is €)
    text, controls = CONTROL_CHARS.subn("", _xml_safe_space(raw))
    return Decoded(text, charset, source, raw.count("\ufffd"), controls)


class ScriptCounts(NamedTuple):
    """Characters of a text by script: letters outside ASCII, and of them Han, Hangul and kana."""

    letters: int
    han: int
    hangul: int
    kana: int


def _script_counts(text: str) -> ScriptCounts:
    return ScriptCounts(len(LETTER.findall(text)), count_han(text), len(HANGUL.findall(text)), len(KANA.findall(text)))


def reads_as_chinese(text: str) -> bool:
    """Most letters outside ASCII (markup and Latin words are ASCII in any reading) are Han
    characters, with no Hangul or kana to speak of, and enough of them to tell."""
    letters, han, hangul, kana = _script_counts(text)
    return han >= 10 and han >= 0.5 * letters and hangul + kana <= 0.05 * han


def _chinese_reading(body: bytes) -> Decoded | None:
    """The body read in GB18030 or Big5-HKSCS, if either gives plausible Chinese text (the one with
    fewer replacement characters; GB18030 on a tie)."""
    best = None
    for charset in CHINESE:
        sample = _read(body[:SAMPLE], charset, "chinese")
        if plausible(sample.text, sample.controls) and reads_as_chinese(sample.text) and (best is None or sample.replaced < best[0]):
            best = (sample.replaced, charset)
    return _read(body, best[1], "chinese") if best else None


def _guess_fits(guess: Decoded) -> bool:
    """A detector's guess that the text itself bears out: not a single-byte charset under bytes that
    read as Chinese, not Korean without Hangul or Japanese without kana."""
    letters, han, hangul, kana = _script_counts(guess.text[:20000])
    name = guess.charset
    if name in CHINESE or name.startswith("utf"):
        return True
    if name in ("cp949", "euc_kr", "johab", "iso2022_kr"):
        return hangul >= 0.3 * (hangul + han) if hangul + han else True
    if name in ("shift_jis", "shift_jis_2004", "shift_jisx0213", "cp932", "euc_jp", "euc_jis_2004", "euc_jisx0213",
                "iso2022_jp"):
        return kana >= 0.05 * (kana + han) if kana + han else True
    return True  # single-byte guesses are checked against a Chinese reading by the caller


def decode_page(body: bytes, content_type: str | None = None) -> Decoded:
    """The page's text and how it was read. Raises DecodeError when nothing gives plausible text."""
    if not body:
        return Decoded("", "utf-8", "empty")
    if len(body) > MAX_DECODE_BYTES:
        cut = MAX_DECODE_BYTES
        while cut > MAX_DECODE_BYTES - 3 and 0x80 <= body[cut] < 0xC0:  # not inside a UTF-8 character
            cut -= 1
        body = body[:cut]
    bom_charset, bom = read_bom(body)  # (None, None), or the charset and its mark
    if bom_charset is not None and bom is not None:
        return _read(body[len(bom):], bom_charset, "bom")
    if not body.isascii():
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            text, controls = CONTROL_CHARS.subn("", _xml_safe_space(text))
            if plausible(text, controls):
                return Decoded(text, "utf-8", "utf-8", 0, controls)
    tried = set()
    for name, source in declared(body, content_type):
        charset = normalise_charset(name)
        if not charset or charset in tried:
            continue
        tried.add(charset)
        result = _read(body, charset, source)
        if not plausible(result.text, result.controls):
            logger.debug("declared charset %s (%s) does not give readable text", name, source)
            continue
        if single_byte(charset) and not body.isascii() and (chinese := _chinese_reading(body)) is not None:
            logger.debug("declared single-byte charset %s (%s), but the bytes read as Chinese", name, source)
            return chinese
        return result
    if body.isascii():
        if plausible((ascii_text := _read(body, "utf-8", "utf-8")).text, ascii_text.controls):
            return ascii_text
        raise DecodeError("ASCII bytes, mostly control characters (binary input?)")
    best = from_bytes(body[:SAMPLE]).best()
    charset = normalise_charset(best.encoding) if best is not None else None
    guess = _read(body, charset, "detected") if charset else None
    if guess is not None and plausible(guess.text, guess.controls) and _guess_fits(guess) and not single_byte(charset):
        return guess
    if (chinese := _chinese_reading(body)) is not None:
        return chinese
    if guess is not None and plausible(guess.text, guess.controls):
        return guess
    raise DecodeError("no charset gives readable text (binary or corrupt input?)")


def decode(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, charset). Raises DecodeError when nothing gives plausible text."""
    decoded = decode_page(body, content_type)
    return decoded.text, decoded.charset

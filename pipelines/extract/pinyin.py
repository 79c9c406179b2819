"""Inline pinyin that a site printed after characters: `導(dǎo)語`, `網(wǎng)友`, `已閱讀5頁(yè)`.

Contract: `strip(text) -> text` removes a toned syllable in ASCII or full-width parentheses right
after a Han character, when the page is annotated the way these sites do it and not the way a
document that teaches or discusses pinyin does. Runs before the chrome rules, the read wall and
the title read the words: on a text page's decoded text (`strip`), on an HTML page's flattened
lines, body and title (`strip_page`).

Told apart by two signals, not by any page's wording:
- count: a site annotates a character wherever it occurs, dozens of times on a page; a document
  quoting a reading (`妈(mā)`) does it a few times;
- script: the converters that add it annotate the characters they turned traditional (導, 網, 頁),
  so most annotated characters change under OpenCC t2s; a simplified-script lesson annotates
  characters that t2s leaves alone. A traditional-script pinyin lesson would be stripped: such
  pages (Taiwan teaches zhuyin) are rare, sites that print converter pinyin are common.
Plain Latin in parentheses (`(object)`, `(G2B)`) has no tone mark and is never touched.
"""
from __future__ import annotations

import re

from pipelines.han import CLASS, HAN

from . import convert

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
# the IPA-looking a and g (ɑ, ɡ) that pinyin fonts and some converters print
LETTERS = "ɑɡ"
# one syllable: letters with at least one tone mark, at most 6 letters (zhuang)
ANNOTATION = re.compile(rf"(?<={CLASS})[(（]([a-zü{LETTERS}]{{0,5}}[{TONED}][a-zü{LETTERS}]{{0,5}})[)）]")
# the same without the look-behind, which the engine would try at every position of a page: a
# bracket is a literal it can skip to; the character before is checked on the few matches
CANDIDATE = re.compile(rf"[(（][a-zü{LETTERS}]{{0,5}}[{TONED}][a-zü{LETTERS}]{{0,5}}[)）]")
HAS_TONE = re.compile(f"[{TONED}]")
MIN_ANNOTATIONS = 3  # fewer is a document quoting a reading
MIN_CONVERTED_SHARE = 0.5  # of annotated characters, the share t2s changes


def find_annotations(text: str) -> list[re.Match]:
    if not HAS_TONE.search(text):  # most pages: no tone mark at all, one C-level scan
        return []
    return [m for m in CANDIDATE.finditer(text) if m.start() and HAN.match(text, m.start() - 1)]


def is_site_pinyin(text: str, found: list[re.Match] | None = None) -> bool:
    """Whether the annotations in `text` were added by a site's converter (see the module doc)."""
    found = find_annotations(text) if found is None else found
    if len(found) < MIN_ANNOTATIONS:
        return False
    chars = "".join(text[m.start() - 1] for m in found)
    # a share, as in convert.simplify: a conversion that changes the length is counted up to the shorter
    converted = sum(a != b for a, b in zip(chars, convert.to_simplified(chars), strict=False))
    return converted / len(chars) >= MIN_CONVERTED_SHARE


def strip(text: str) -> str:
    """`text` without site-added pinyin (unchanged when there is none, or it is a document's own)."""
    found = find_annotations(text)
    if not found or not is_site_pinyin(text, found):
        return text
    return _cut(text, found)


def strip_page(page_lines: list[str], lines: list[str],
               title: str | None) -> tuple[list[str], list[str], str | None]:
    """An HTML page's flattened lines, body lines and title without site-added pinyin, decided
    once for the page (its flattened text is a fraction of its markup: cheaper to scan)."""
    page_text = "\n".join(page_lines)
    found = find_annotations(page_text)
    if not found or not is_site_pinyin(page_text, found):
        return page_lines, lines, title
    stripped = _cut(page_text, found).split("\n")
    body = lines if lines is page_lines else ANNOTATION.sub("", "\n".join(lines)).split("\n")
    return stripped, (stripped if lines is page_lines else body), ANNOTATION.sub("", title) if title else title


def _cut(text: str, found: list[re.Match]) -> str:
    out, pos = [], 0
    for m in found:
        out.append(text[pos:m.start()])
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)

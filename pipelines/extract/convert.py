"""Traditional to simplified Chinese with OpenCC (the official C++ package)."""
from __future__ import annotations

import functools
import re

import opencc

from pipelines.han import count as count_han

# A share of Han characters that change under t2s above which the source counts as traditional.
TRADITIONAL_SHARE = 0.08


@functools.cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


def to_simplified(text: str) -> str:
    return _converter("t2s").convert(text)


def to_traditional(text: str) -> str:
    return _converter("s2t").convert(text)


def simplify(text: str) -> tuple[str, bool]:
    """Return (simplified text, whether the source was mostly traditional)."""
    simplified = to_simplified(text)
    if simplified == text:  # simplified already (most pages): nothing to count
        return simplified, False
    han = count_han(text)
    if not han:
        return simplified, False
    # a phrase OpenCC converts may change the length: the share is counted over the common prefix
    changed = sum(1 for a, b in zip(text, simplified, strict=False) if a != b)
    return simplified, changed / han >= TRADITIONAL_SHARE


KANA = re.compile(r"[\u3040-\u30ff]")


def simplify_page(page_lines: list[str], lines: list[str],
                  title: str | None) -> tuple[list[str], list[str], str | None, bool]:
    """A Chinese page's lines and title in simplified script, so the cleaning rules (kept in
    simplified words) match a traditional page too: (page lines, body lines, title, traditional).
    A page with kana is left as it is: t2s would rewrite Japanese kanji."""
    body = "\n".join(lines)
    if KANA.search(body) and len(KANA.findall(body[:20000])) > 0.02 * min(len(body), 20000):
        return page_lines, lines, title, False
    simple_body, traditional = simplify(body)
    if not traditional and simple_body == body:
        return page_lines, lines, title, False
    simple_page = simple_body.split("\n") if page_lines is lines else to_simplified("\n".join(page_lines)).split("\n")
    return simple_page, simple_body.split("\n"), to_simplified(title) if title else title, traditional

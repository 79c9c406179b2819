"""Traditional to simplified Chinese with OpenCC (the official C++ package)."""
from __future__ import annotations

import functools

import opencc

# A share of Han characters that change under t2s above which the source counts as traditional.
TRADITIONAL_SHARE = 0.08


@functools.lru_cache(maxsize=None)
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
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    if not han:
        return simplified, False
    changed = sum(1 for a, b in zip(text, simplified) if a != b)
    return simplified, changed / han >= TRADITIONAL_SHARE

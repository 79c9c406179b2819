"""What a Han character is, once for the project (issue 16).

The CJK Unified Ideographs (U+4E00-U+9FFF), extension A (U+3400-U+4DBF), the compatibility
ideographs (U+F900-U+FAFF) and the Supplementary and Tertiary Ideographic Planes (U+20000-U+3FFFF:
extensions B-I and the compatibility supplement, the rare characters of names and places that
GB 18030 encodes in four bytes). Not the Yijing hexagrams (U+4DC0-U+4DFF) between extension A and
the main block, nor radicals, strokes or CJK punctuation.

Every pattern that speaks of Han characters is built from `RANGES`: in code as `CLASS` (one
character) or `HAN`/`RUNS` compiled; in the YAML rule files as `\\p{Han}` inside a character class
(`[\\p{Han}A-Za-z0-9]`), which `expand` turns into the ranges when the file is read.

pipelines/extract/score.py keeps the shared devset scorer's own pinyin pattern (U+4E00-U+9FFF): it is a copy
of the measure, not a definition of ours. This module stays outside pipelines/extract so that the
crawl process (site profiles) reads it without importing the extraction stages.
"""
from __future__ import annotations

import re

RANGES = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"  # for inside [...]
CLASS = f"[{RANGES}]"
HAN = re.compile(CLASS)  # one character
RUNS = re.compile(CLASS + "+")  # counting by runs is many times faster than by characters
PLACEHOLDER = r"\p{Han}"


def is_han(char: str) -> bool:
    return HAN.fullmatch(char) is not None


def count(text: str) -> int:
    """Han characters in `text`."""
    return sum(map(len, RUNS.findall(text)))


def expand(text: str) -> str:
    """`text` (a rule file, a pattern) with `\\p{Han}` written as the ranges, for use inside [...]."""
    return text.replace(PLACEHOLDER, RANGES)

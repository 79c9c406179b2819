"""Language identification: Unicode script counts first, langdetect only where scripts do not decide.

langdetect calls Chinese `ko` (traditional seed 003, and windows of simplified text) and changes its
answer run to run unless seeded; a text without Hangul is not Korean, whatever it says.
"""
from __future__ import annotations

import re

from langdetect import DetectorFactory, LangDetectException, detect

from pipelines import han

DetectorFactory.seed = 0

# Runs, not single characters: `count` sums run lengths, 60x faster than a list of characters.
HAN = han.RUNS
KANA = re.compile(r"[\u3040-\u30ff]+")
HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]+")
LETTER = re.compile(r"[^\W\d_]+")
SAMPLE = 3000  # characters given to langdetect: its cost grows with length, its answer does not


def count(runs: re.Pattern, text: str) -> int:
    """Characters of `text` in the class whose runs `runs` matches."""
    return sum(map(len, runs.findall(text)))


def identify(text: str) -> str:
    """ISO 639-1 code of the text's main language, or 'und'."""
    sample = text[:20000]
    letters = count(LETTER, sample)
    if not letters:
        return "und"
    han, kana, hangul = count(HAN, sample), count(KANA, sample), count(HANGUL, sample)
    if hangul / letters > 0.3:
        return "ko"
    if kana / letters > 0.05 and kana + han > letters * 0.5:
        return "ja"
    if han / letters > 0.3:
        return "zh"
    try:
        lang = detect(sample[:SAMPLE])
    except LangDetectException:
        return "und"
    if lang.startswith("zh") or (lang == "ko" and not hangul):
        return "zh" if han else "und"
    return lang

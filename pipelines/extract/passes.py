"""The vocabulary of the cleaning passes (pipelines/extract/cleaning.yaml), loaded once and compiled."""
from __future__ import annotations

import functools
import pathlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

import yaml

from pipelines import han

# A Traversable, not a path: inside a zipped egg (Scrapyd) the vocabulary is no file on disk.
CLEANING_FILE = resources.files("pipelines.extract") / "cleaning.yaml"


def alternation(words: Iterable[str]) -> re.Pattern:
    """One pattern matching any of `words`, longest first (so 版权所有 wins over 版权)."""
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) or "(?!)")


@dataclass(frozen=True)
class Vocabulary:
    notice_header: re.Pattern
    notice_lead: re.Pattern  # a header with the notice on the same line: 【下载声明】1. 本站…
    short_lead: re.Pattern  # 声明: / 说明: at a line's start (a document's sentence starts so too)
    site_words: re.Pattern
    talk_words: re.Pattern  # site and file words together
    form_label: re.Pattern
    watermark_cuts: tuple[re.Pattern, ...]
    watermark_symbols: str
    promo_words: re.Pattern
    editor_intro: re.Pattern
    plain_intro: re.Pattern
    spam_words: re.Pattern
    slogan_words: re.Pattern
    source_words: re.Pattern


@functools.lru_cache(maxsize=2)
def load(path: str | Traversable = CLEANING_FILE) -> Vocabulary:
    d = yaml.safe_load(han.expand((pathlib.Path(path) if isinstance(path, str) else path).read_text(encoding="utf-8")))
    n, w, i, t = d["notices"], d["watermarks"], d["intros"], d["titles"]
    # the listed headers and every modifier + head noun of their class (特别说明, 下载必看)
    listed = set(n["headers"]) | {m + h for m in n.get("header_modifiers", []) for h in n.get("header_nouns", [])}
    words = sorted(listed, key=len, reverse=True)
    headers = "|".join(re.escape(h) for h in words)
    long_headers = "|".join(re.escape(h) for h in words if len(h) >= 4)
    short_headers = "|".join(re.escape(h) for h in words if len(h) < 4)
    return Vocabulary(
        notice_header=re.compile(rf"^[【\[(（]?\s*({headers})\s*[】\]）)]?\s*[:：]?\s*$"),
        # inline only in brackets or for the long headers: `说明:` starts a document's sentences too
        notice_lead=re.compile(rf"^([【\[]\s*({headers})\s*[】\]]\s*[:：]?|({long_headers})\s*[:：])"),
        short_lead=re.compile(rf"^({short_headers})\s*[:：]"),
        site_words=alternation(n["site_words"]),
        talk_words=alternation(n["site_words"] + n["file_words"]),
        form_label=re.compile(rf"^({'|'.join(re.escape(x) for x in sorted(n['form_labels'], key=len, reverse=True))})"
                              r"\s*[:：]\s*\S{0,12}(\s+\S{1,8}){0,2}$"),
        watermark_cuts=tuple(re.compile(p) for p in w["cut_patterns"]),
        watermark_symbols=w["symbols"],
        promo_words=alternation(w["promo_words"]),
        editor_intro=re.compile(rf"{i['editor']}.{{0,12}}{i['gather']}.{{0,80}}{i['close']}"),
        plain_intro=re.compile("|".join(f"(?:{i[k]})" for k in ("plain", "collection", "outro", "outro_content") if k in i)),
        spam_words=alternation(t["spam_words"]),
        slogan_words=alternation(w.get("slogan_words") or []),
        source_words=alternation(w.get("source_words") or []),
    )

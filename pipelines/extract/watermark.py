"""Watermarks and anti-copy marks glued into a document's text.

Contract: `clean(lines) -> lines`
- cuts slogans and rights marks out of the line they stand in (`精选优质文档-倾情为你奉上`,
  `某某之家版权所有`; patterns in pipelines/extract/cleaning.yaml);
- removes a site's name or URL mangled with symbols at the start of a paragraph (the body's
  first, usually: `某某语}文%素材[库:https://…。公众@号:…。整理汇总。`): its leading short sentences
  that hold symbols sprinkled between characters, or a URL beside promo words (公众号, 整理汇总);
- removes anti-copy marks: a backtick between characters (`中的`烟头`), a lone `'` after a character
  (`用语的',`), a `?` after a sentence's end at a line's end (`幸福。?`).
It leaves marks that come in pairs ('三重六敢', old-style `…' quoting), a `?` inside a line (mojibake of a lost character
is part of the text as published), and a body that merely mentions a website.
"""
from __future__ import annotations

import re

from pipelines.han import CLASS as HAN
from pipelines.han import RANGES

from .passes import Vocabulary, load

BACKTICK = re.compile(rf"(?<={HAN})`|`(?={HAN})")
APOSTROPHE = re.compile(rf"(?<={HAN})'(?=[{RANGES}，。,、；;：:！？])")
TRAILING_QUESTION = re.compile(r"(?<=[。！”」』])\?+$")
URL = re.compile(r"https?://|www\.|\.(com|cn|net|org|cc|top)\b", re.I)
LEADING_SENTENCE = re.compile(r"[^。！!]*[。！!]")
START_WINDOW = 200
EDGE = 3  # lines at the start or end of the text where a site's source line stands  # a watermark glued to the start sits in the first characters


MANGLED_MAX = 80  # a watermark sentence is short; a news lead quoting a URL is not one
# a name or URL spelt out with a space or dot after each character (学.习.啦.w w w . x u e x i . c o m)
SPACED = re.compile(rf"(?:[A-Za-z0-9{RANGES}]\s*[\s.·_\-]\s*){{5,}}[A-Za-z0-9{RANGES}]")
SLOGAN_MAX = 24  # a slogan line: short, no sentence, nothing but slogan words (精品资料·用心整理)
SLOGAN_SEPARATORS = re.compile(r"[\s\-—–_·•|｜/、,，!！~]+")


def _symbols(vocab: Vocabulary) -> re.Pattern:
    sym = re.escape(vocab.watermark_symbols)
    return re.compile(rf"(?<={HAN})[{sym}](?={HAN})")


def is_mangled(sentence: str, vocab: Vocabulary) -> bool:
    """A short sentence with symbols sprinkled between its characters (素材[库, 公众@号), or a URL
    next to a site's promo words."""
    if len(sentence) > MANGLED_MAX:
        return False
    symbols = len(_symbols(vocab).findall(sentence))
    plain = _symbols(vocab).sub("", sentence)
    return symbols >= 2 or bool(symbols or URL.search(sentence)) and bool(vocab.promo_words.search(plain))


def _despaced_url(sentence: str) -> bool:
    return bool(URL.search(re.sub(r"\s+", "", sentence)))


def is_watermark_line(line: str, vocab: Vocabulary, edge: bool) -> bool:
    """A whole line that is a watermark: a name or URL spelt out with separators, a mangled name
    (symbols between its characters), or, at the body's start or end (`edge`), a site's URL with
    its promo words (文档来源:某某网 www… 欢迎收藏); or a slogan line made only of slogan words."""
    if len(line) > MANGLED_MAX or re.search(r"[。！？!?；;]", line):
        return False
    if SPACED.search(line) and _despaced_url(line):
        return True
    if len(_symbols(vocab).findall(line)) >= 2:
        return True
    if edge and _despaced_url(line) and vocab.source_words.search(line):
        return True
    return is_slogan(line, vocab)


def is_slogan(line: str, vocab: Vocabulary) -> bool:
    """精品资料·用心整理, 优质文档 倾情奉上: two or more slogan words and nothing else."""
    if len(line) > SLOGAN_MAX:
        return False
    rest = SLOGAN_SEPARATORS.sub("", line)
    words = vocab.slogan_words.findall(rest)
    return len(words) >= 3 and not vocab.slogan_words.sub("", rest)


def strip_start(line: str, vocab: Vocabulary) -> str:
    """`line` without the mangled watermark sentences it starts with."""
    pos, mangled_seen = 0, False
    while pos < min(len(line), START_WINDOW):
        m = LEADING_SENTENCE.match(line, pos)
        if not m or m.end() == pos:
            break
        sentence = m.group(0)
        if is_mangled(sentence, vocab):
            mangled_seen = True
        elif not (mangled_seen and len(sentence) <= 20 and vocab.promo_words.search(sentence)):
            break
        pos = m.end()
    return line[pos:].lstrip() if mangled_seen else line


def unmark(line: str) -> str:
    """Anti-copy marks out: backticks at characters, a lone apostrophe, `?` after a sentence end."""
    # old-style quoting (`心见铁即死' …) pairs its marks: a mark is a stray only when it is alone
    if "`" in line and "'" not in line and line.count("`") == 1:
        line = BACKTICK.sub("", line)
    if "'" in line and "`" not in line and line.count("'") == 1:
        line = APOSTROPHE.sub("", line)
    if "?" in line:
        line = TRAILING_QUESTION.sub("", line)
    return line


def clean(lines: list[str], vocab: Vocabulary | None = None) -> list[str]:
    vocab = vocab or load()
    marks = re.compile(f"{URL.pattern}|{_symbols(vocab).pattern}", re.I)
    out = []
    for i, line in enumerate(lines):
        for p in vocab.watermark_cuts:
            line = p.sub("", line)
        line = unmark(line)
        if is_watermark_line(line.strip(), vocab, edge=i < EDGE or i >= len(lines) - EDGE):
            continue
        if marks.search(line):  # only lines with a URL or a symbol between characters are read
            line = strip_start(line, vocab)
        if line.strip():
            out.append(line.strip())
    return out

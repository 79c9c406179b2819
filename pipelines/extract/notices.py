"""Download-page templates and notice blocks, recognised by their vocabulary and position.

Contract: `drop(lines) -> lines` removes
- widget lines: short lines that are mostly the site's own vocabulary (`快捷下载 游客一键下载`,
  `加入VIP免费专享`, `下载资源需要10金币`, `分享到微信 分享到微博`), form fields (`账号:`,
  `验证码: 换一换`, `支付方式: 支付宝 微信支付`);
- notice blocks: a header word (温馨提示 / 友情提示 / 【下载声明】 / 特殊限制 / 说明 …, pipelines/extract/cleaning.yaml)
  and the lines after it that speak download, account or copyright talk, numbered (`2、PDF文件下载后…`,
  their numbers rising) or not;
- a header with its notices on the same line (`【下载声明】1. 本站…2. …`);
- a numbered run of such talk without a header (`1. 1、下载文档前请自行甄别…`) before the document
  starts or after it ends.
It leaves a document's own numbered list after a notice: its numbers start again, or its lines do
not speak the site's vocabulary. A header with no notice line after it stays (a section 说明).
"""
from __future__ import annotations

import re

from pipelines.han import RANGES

from .passes import Vocabulary, load

WORD = re.compile(rf"[{RANGES}A-Za-z]")
NUMBERED = re.compile(r"^\s*(?:\d{1,2}\s*[.．]\s*)?(\d{1,2}|[一二三四五六七八九十])\s*[、.．)）:：]")
DOC_NUMBERING = re.compile(r"^\s*([一二三四五六七八九十]+、|[(（][一二三四五六七八九十\d]+[)）]|\d+(\.\d+)*[、.．\s]|第\S{1,3}[章节条部分])")
SENTENCE_END = re.compile(r"[。！!；;]$")  # a question mark ends buttons too (忘记密码?)
CHINESE_NUMBERS = "一二三四五六七八九十"
WIDGET_MAX = 40
NOTICE_MAX = 200
WIDGET_COVERAGE = 0.6


def _number(m: re.Match) -> int:
    n = m.group(1)
    return CHINESE_NUMBERS.index(n) + 1 if n in CHINESE_NUMBERS else int(n)


def coverage(line: str, vocab: Vocabulary) -> float:
    """Share of the line's letters (Han and Latin) that are the site's words; digits are values."""
    letters = len(WORD.findall(line))
    if not letters:
        return 0.0
    covered = sum(len(WORD.findall(m.group(0))) for m in vocab.talk_words.finditer(line))
    return covered / letters


def is_widget_line(line: str, vocab: Vocabulary | None = None) -> bool:
    """A button, a login or payment form field, a share bar: short, mostly the site's words."""
    vocab = vocab or load()
    if len(line) > WIDGET_MAX or SENTENCE_END.search(line) or DOC_NUMBERING.match(line):
        return False
    if vocab.form_label.match(line) or re.search(r"\S\s*换一换$", line):
        return True
    if len(WORD.findall(line)) < 2:
        return False
    hits = vocab.talk_words.findall(line)
    # two of the site's words and little else (合集下载, 加入VIP免费专享), or one word of the site
    # itself and nothing else (二维码, 忘记密码?); a lone file word is a heading (原文:)
    return (len(hits) >= 2 and coverage(line, vocab) >= WIDGET_COVERAGE
            or coverage(line, vocab) >= 0.99 and bool(vocab.site_words.search(line)))


def talk(line: str, vocab: Vocabulary) -> tuple[int, int]:
    """(site words, site and file words) the line holds."""
    return len(vocab.site_words.findall(line)), len(vocab.talk_words.findall(line))


def is_notice_line(line: str, vocab: Vocabulary | None = None) -> bool:
    """A sentence of the site about itself: its accounts, coins, previews, rights, service."""
    vocab = vocab or load()
    site, both = talk(line, vocab)
    return len(line) <= NOTICE_MAX and site >= 1 and both >= 2


def _is_notice_text(text: str, vocab: Vocabulary, strong: bool = False) -> bool:
    """The rest of a line after a notice header: site talk (one sentence or several tips);
    `strong`: after a short header (说明:), the site named at least twice."""
    site, both = talk(text, vocab)
    return len(text) <= 2 * NOTICE_MAX and (site >= 2 and both >= 3 if strong else site >= 1 and both >= 2)


def _in_block(line: str, last: int, talked: bool, vocab: Vocabulary) -> tuple[bool, int]:
    """Whether `line` continues a notice block whose last tip was numbered `last`; `talked`: a
    line of the block spoke of the site itself already (then a tip about files is enough)."""
    if len(line) > NOTICE_MAX:
        return False, last
    m = NUMBERED.match(line)
    if m:
        n = _number(m)
        site, both = talk(line, vocab)
        # the first tip may speak only of files, if it does so densely (一、文档下载后如有乱码,请用WPS打开)
        return n > last and (site >= 1 or (talked and both >= 2) or both >= 3), n
    return is_notice_line(line, vocab) or is_widget_line(line, vocab), last


HEADING = re.compile(r"^\s*([一二三四五六七八九十]{1,3})\s*[、.．]")


def _heading_number(line: str) -> int:
    """The number of a document's section heading (`三、评选办法` -> 3), or 0."""
    m = HEADING.match(line)
    if not m:
        return 0
    n = m.group(1)
    if len(n) == 1:
        return CHINESE_NUMBERS.index(n) + 1
    tens, _, units = n.partition("十")
    return (CHINESE_NUMBERS.index(tens) + 1 if tens else 1) * 10 + (CHINESE_NUMBERS.index(units) + 1 if units else 0)


def inside_document(before: list[str], after: str | None) -> bool:
    """Whether a block stands inside the document: the document's section headings run on across it
    (`二、作品要求` before it, `三、评选办法` after it). A site's notice stands before the document
    starts or after it ends, never between two of its sections (a contest's own 注意事项 does)."""
    if not after or not (n := _heading_number(after)) or n < 2:
        return False
    return any(_heading_number(x) == n - 1 for x in before)


def drop(lines: list[str], vocab: Vocabulary | None = None) -> list[str]:
    vocab = vocab or load()
    out: list[str] = []
    started = False  # a line of the document has been kept
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if vocab.notice_header.match(line):
            j, last = i + 1, 0
            while j < n:
                ok, last = _in_block(lines[j], last, j > i + 1, vocab)
                if not ok:
                    break
                j += 1
            # a block of file talk only (门票价格以窗口公布为准) is a document's own list: one of
            # its lines must speak of the site itself
            if j > i + 1 and any(talk(x, vocab)[0] for x in lines[i + 1:j]):
                if inside_document(out, lines[j] if j < n else None):
                    out.extend(lines[i:j])  # the document's own notes (a contest's 注意事项)
                    i = j
                    continue
                i = j
                continue
        elif (m := vocab.notice_lead.match(line)) and _is_notice_text(line[m.end():], vocab):
            i += 1  # 【下载声明】1. 本站…; 2. …: the header and its notices on one line
            continue
        elif (m := vocab.short_lead.match(line)) and _is_notice_text(line[m.end():], vocab, strong=True):
            i += 1  # 声明:本文内容由用户自行上传,本网站不拥有所有权…: the site, twice over
            continue
        elif (m := NUMBERED.match(line)) and is_notice_line(line, vocab):
            j, last = i + 1, _number(m)
            while j < n and (mm := NUMBERED.match(lines[j])) and _number(mm) > last and is_notice_line(lines[j], vocab):
                last = _number(mm)
                j += 1
            if j - i >= 2 and (not started or j == n):
                i = j
                continue
        if is_widget_line(line, vocab):
            i += 1
            continue
        out.append(line)
        started = started or len(line) > WIDGET_MAX
        i += 1
    return out

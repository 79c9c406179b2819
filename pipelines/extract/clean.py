"""Text-level cleaning of a page's lines: works on flattened `.txt` pages and on HTML bodies alike.

Every rule takes a list of lines and returns a list of lines; `clean_lines` runs them in order.
Rules come from pipelines/extract/rules.yaml and the page family's YAML (see pipelines/extract/rules.py), so a new
site is usually a data change. Each rule leaves alone what only looks like chrome: a long sentence
that quotes 下载, a body that mentions 上一篇, a real enumeration.
"""
from __future__ import annotations

import re

from pipelines.han import HAN

from . import intros, metadata, notices, watermark
from .passes import Vocabulary
from .rules import Family, Rules

SENTENCE_END = "。！？!?；;…”’」』）)】》"
NUMBERED_TIP = re.compile(r"^\s*(\d{1,2}|[一二三四五六七八九十])\s*[、.．)）:：]")
PAGE_MARKER = re.compile(r"^(\d{1,3})、")
NAV_SPLIT = re.compile(r"[\s|｜/>»·•]+")
PROSE_MIN = 50  # a line this long with sentence punctuation is body text
SINGLE_PAGE_MIN = 200  # a lone `1、` line this long, on a site that numbers its preview pages, is one page


def is_prose(line: str) -> bool:
    return len(line) >= PROSE_MIN and bool(re.search(r"[，。,；;：:！？.!?]", line))


def ends_sentence(line: str) -> bool:
    return bool(line) and line.rstrip()[-1] in SENTENCE_END


def norm_title(s: str | None) -> str:
    if not s:
        return ""
    s = re.sub(r"\.(docx?|pdf|pptx?|xlsx?|txt|wps)$", "", s.strip(), flags=re.I)
    for p in watermark.load().watermark_cuts:  # X(此文档为word格式,可任意编辑) is X
        s = p.sub("", s)
    return re.sub(r"\s+", "", s)


# -- single-line rules -------------------------------------------------------------------------

def is_nav_line(line: str, rules: Rules) -> bool:
    """A line made only of navigation words and numbers (收藏 分享赚钱, 返回 下载 相关 举报, 10 金币)."""
    tokens = [t for t in NAV_SPLIT.split(line) if t]
    if not tokens or len(line) > 40:
        return False
    rest = [t for t in tokens if t not in rules.nav_words
            and not re.fullmatch(r"[(（]?[\d.,]+[kKwW万]?(金币|积分|下载券|元|页|次)?[)）]?", t)]
    return not rest


KV_PAIR = re.compile(r"[^\s:：]{1,8}[:：]\S{0,24}")
# a file's facts without a key: 共5页, 12页, 88KB, 3金币
FILE_VALUE = re.compile(r"(共|全文)?[\d.,]+\s*(页|[KMG]B|[kmg]b|K|M|金币|积分|下载券|字|次)")
# the vocabulary of a file's data sheet, in its keys: whatever a site calls them (文档编码, 所需下载券)
FILE_KEY = re.compile(r"大小|页|格式|类型|编号|编码|ID|id|积分|金币|下载券|币|上传|时间|浏览|下载|阅读|价格|售价|分类|星级|评分|贡献")
SHEET_SPLIT = re.compile(r"[\s•·|｜]+")


def is_kv_line(line: str) -> bool:
    """A file's data sheet on one line, whatever its keys: four or more `key:value` pairs and
    nothing else (文档格式:.doc 文档大小:45KB 收藏人数:2 评论次数:0 …); or three or more facts
    (pairs and keyless values like 共5页), two of them keyed in a data sheet's vocabulary
    (文档编码:A20931 文件大小:88KB 共5页 所需下载券:3). Two or three plain pairs are also a
    document's (甲方:… 乙方:…)."""
    if len(line) > 200:
        return False
    tokens = [t for t in SHEET_SPLIT.split(line) if t]
    if len(tokens) >= 4 and all(KV_PAIR.fullmatch(t) for t in tokens):
        return True
    if len(tokens) < 3 or not all(KV_PAIR.fullmatch(t) or FILE_VALUE.fullmatch(t) for t in tokens):
        return False
    keyed = [t for t in tokens if KV_PAIR.fullmatch(t) and FILE_KEY.search(re.split("[:：]", t, maxsplit=1)[0])]
    return len(keyed) >= 2


def is_meta_line(line: str, rules: Rules) -> bool:
    """A line made only of `key: value` pairs with known metadata keys (ID:1742762, 上传人:x 上传时间:…)."""
    if is_kv_line(line):
        return True
    stripped = rules.meta_pairs.sub(" ", line)
    stripped = re.sub(r"(举报|版权申诉|收藏|分享)", "", stripped)
    if stripped.strip() == line.strip():
        return False
    return len(stripped.strip()) <= 2


def is_chrome_line(line: str, rules: Rules, family: Family | None = None) -> bool:
    if any(map(line.__contains__, rules.drop_line_phrases)) or (
            family and any(map(line.__contains__, family.drop_line_phrases))):
        return True
    if any(p.search(line) for p in rules.drop_line_patterns):
        return True
    if any(p.search(line) for p in rules.thread_line_patterns):
        return True
    return (is_nav_line(line, rules) or is_meta_line(line, rules) or is_byline(line, rules)
            or metadata.is_spam_line(line))


BARE_DATE = re.compile(r"\s*\d{2,4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?\s*")


def is_byline(line: str, rules: Rules) -> bool:
    """A post's or comment's byline: short, a date or relative time, no sentence punctuation.
    A date alone on its line is a document's date (the 落款 under a notice), not a byline."""
    return (rules.byline_time is not None and len(line) <= rules.byline_max
            and not re.search(r"[。！？!?，,；;]", line) and not BARE_DATE.fullmatch(line)
            and bool(rules.byline_time.search(line)))


def is_keyword_line(line: str) -> bool:
    """`2023 科技局 年度工作 总结 工作 设想`: short tokens, spaces, no punctuation (a tag list)."""
    tokens = line.split()
    return (len(tokens) >= 3 and len(line) <= 60 and all(len(t) <= 8 for t in tokens)
            and not re.search(r"[，。,；;：:！？、.!?]", line))


# -- rules over the line list ------------------------------------------------------------------

def drop_site_name(lines: list[str], rules: Rules) -> list[str]:
    """Lines that are only the site's name, where the page names its site itself (a greeting bar
    `欢迎来到X!`, `请在X上搜索`): the logo's text above the document."""
    names = set()
    for line in lines[:60]:
        for p in rules.site_name_patterns:
            if m := p.search(line):
                names.add(m.group(m.lastindex or 0))  # the last group, or all of a pattern without one
    return [x for x in lines if x not in names] if names else lines


def drop_tips(lines: list[str], rules: Rules) -> list[str]:
    """A tip header (温馨提示:) and the numbered tips right after it that talk about downloads,
    files or the site (pipelines/extract/cleaning.yaml's vocabulary). A header followed by numbered
    lines that do not (a safety notice's own `温馨提示` / `1、不要私拉乱接电线`) is the document's."""
    vocab = notices.load()
    out: list[str] = []
    in_tips = False
    for i, line in enumerate(lines):
        if any(p.search(line) for p in rules.tip_headers):
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            j = i + 1
            while j < len(lines) and NUMBERED_TIP.match(lines[j]) and not notices.HEADING.match(lines[j]):
                j += 1
            if not (NUMBERED_TIP.match(nxt) and not _is_tip(nxt, vocab)) and not (
                    out and notices.inside_document(out, lines[j] if j < len(lines) else None)):
                in_tips = True
                continue
        if in_tips and NUMBERED_TIP.match(line) and _is_tip(line, vocab):
            continue
        in_tips = False
        out.append(line)
    return out


def _is_tip(line: str, vocab: Vocabulary) -> bool:
    """A numbered tip of the site: short, and speaking its vocabulary (a site word, or two of the
    site's and the file's words), not a document's own item."""
    if is_prose_block(line):
        return False
    site, both = notices.talk(line, vocab)
    return site >= 1 or both >= 2


def is_prose_block(line: str) -> bool:
    """A preview page or paragraph rather than a tip: very long."""
    return len(line) > 150


def drop_tail(lines: list[str], rules: Rules) -> list[str]:
    """Cut at the first tail marker (你可能关注的文档, 相关阅读 …) that comes after body text."""
    seen_body = False
    for i, line in enumerate(lines):
        if seen_body and len(line) <= 30 and any(p.search(line) for p in rules.tail_markers):
            return lines[:i]
        seen_body = seen_body or is_prose(line)
    return lines


TEASER_MAX = 100


def drop_teasers(lines: list[str]) -> list[str]:
    """Related-document teasers at the end: a short title line, then a snippet ending in `...`."""
    end = len(lines)
    while end > 0:
        line = lines[end - 1]
        if re.search(r"(\.\.\.|…{1,2}|。。。)$", line) and end > 1:
            prev = lines[end - 2]
            titled = len(prev) <= 40 and not ends_sentence(prev)
            # a teaser is a snippet under its title, or short; a long paragraph after a sentence,
            # ending in `...`, is the body's own preview cut off
            if not titled and len(line) > TEASER_MAX:
                break
            end -= 1
            if titled and end > 1:
                end -= 1
            continue
        break
    if end < len(lines) and end > 0:
        return lines[:end]
    return lines


def drop_header_keywords(lines: list[str]) -> list[str]:
    """Tag lines before the body starts."""
    out, started = [], False
    for line in lines:
        started = started or is_prose(line)
        if not started and is_keyword_line(line):
            continue
        out.append(line)
    return out


HEADER_LINE_MAX = 60
MIN_DOC_CHARS = 20  # fewer non-space characters than this is not a document (extract.py drops it)


def _chars(lines: list[str]) -> int:
    return sum(len(re.sub(r"\s+", "", x)) for x in lines)

ECHO_SLACK = 80  # characters a file extension, spaces and an editing note add to a title's echo


def drop_header_zone(lines: list[str], title: str | None) -> list[str]:
    """A page that prints its title two or three times above the body (范文 sites: title, date
    line, a related title, the title again): the body starts after the last echo, when only short
    lines that are not sentences stand between the echoes."""
    t = norm_title(title)
    if not t:
        return lines
    echoes = []
    for i, line in enumerate(lines):
        if is_prose(line):
            break
        if norm_title(line) == t:
            echoes.append(i)
    if len(echoes) < 2:
        return lines
    between = lines[echoes[0]:echoes[-1]]
    if all(len(x) <= HEADER_LINE_MAX and not ends_sentence(x) for x in between):
        return lines[:echoes[0]] + lines[echoes[-1] + 1:]
    return lines


# a title followed by one of these goes on as a sentence (X是为了…, X的…): it is not glued to a heading
SENTENCE_GOES_ON = "是为的将在和与及了对从向由把被让使，,、：:（("


def drop_title_echo(lines: list[str], title: str | None) -> list[str]:
    """Lines repeating the title (with or without .docx); a title glued to the body's first heading."""
    t = norm_title(title)
    if not t:
        return lines
    lines = drop_header_zone(lines, title)
    out: list[str] = []
    echo = None  # (where, line) of the first echo dropped
    for line in lines:
        # a paragraph much longer than the title is not its echo, whatever a cut would remove
        if len(line) <= len(t) + ECHO_SLACK and norm_title(line) == t:
            echo = echo or (len(out), line)
            continue
        out.append(line)
    if echo and _chars(out) < MIN_DOC_CHARS <= _chars(lines):
        # a short document (its heading and a line): without the heading there would be no
        # document at all, so the heading is the document's own first line, not an echo
        out.insert(*echo)
        return out
    if out and (m := PAGE_MARKER.match(out[0])) and m.group(1) == "1" and norm_title(out[0][m.end():]).startswith(t):
        out[0] = out[0][m.end():]  # the first preview page's marker before the document's title
    if out and len(t) >= 6:
        first = out[0]
        rest = first[len(t):].lstrip()
        # the page's title glued to the document's own heading, which begins like it (区科技局… +
        # 区科技局…): the echo goes. A first line that merely starts with the title (the document's
        # own title line, `X是为了…`, `X1. 销售业务`) stays.
        if (first.startswith(t) and len(first) > len(t) + 20 and not first.startswith(t + "年")
                and first[len(t)] not in SENTENCE_GOES_ON and rest[:2] == t[:2]):
            out[0] = rest
    return out


def rejoin_pages(lines: list[str], family: Family | None = None) -> list[str]:
    """Numbered preview pages (`1、…` `2、…` each starting a page): drop the markers and join the
    pages, since a page break cuts words (`积极落实高新技术企业` / `2、优惠政策`).

    A run counts as pages when its numbers go 1, 2, 3 … with no other line between and the lines
    are long; and either the family numbers its pages or most pages end mid-sentence. A real
    enumeration (`1、招商引资工作成效显著。…`) ends its items with a full stop and keeps its numbers.
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = PAGE_MARKER.match(lines[i])
        if not (m and m.group(1) == "1"):
            out.append(lines[i])
            i += 1
            continue
        j, expect = i, 1
        while j < len(lines) and (mm := PAGE_MARKER.match(lines[j])) and int(mm.group(1)) == expect:
            j += 1
            expect += 1
        run = lines[i:j]
        long_enough = len(run) >= 2 and all(len(x) >= PROSE_MIN for x in run[:-1])
        cut = sum(1 for x in run[:-1] if not ends_sentence(x))
        mid_sentence = len(run) >= 2 and cut >= max(1, (len(run) - 1) * 0.6)
        if long_enough and ((family and family.numbered_pages) or mid_sentence):
            out.append("".join(PAGE_MARKER.sub("", x, count=1) for x in run))
        elif (len(run) == 1 and not out and family and family.numbered_pages and len(run[0]) >= SINGLE_PAGE_MIN
              and not any(re.match(r"^2、", x) for x in lines[j:])):
            out.append(PAGE_MARKER.sub("", run[0], count=1))  # a preview of one page: its marker alone
        else:
            out.extend(run)
        i = j
    return out


def join_broken_lines(lines: list[str]) -> list[str]:
    """Join a line break that a page break left inside a sentence: a long line ending without
    punctuation followed by a line that does not start a heading or an item."""
    out: list[str] = []
    for line in lines:
        if (out and len(out[-1]) >= 40 and HAN.match(out[-1][-1]) and HAN.match(line[0])
                and not re.match(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十\d]+）|\(\S{1,3}\)|\d+[、.．]|第\S{1,3}[章节条部分])", line)
                and is_prose(out[-1]) and not ends_sentence(out[-1])):
            out[-1] += line
        else:
            out.append(line)
    return out


def repair(text: str, rules: Rules) -> str:
    """`bull;` -> `•` (entities that lost their `&`); keeps masks (xx, **, *) untouched."""
    if rules.broken_entities:
        names = "|".join(sorted(rules.broken_entities, key=len, reverse=True))
        text = re.sub(rf"&?(?<![A-Za-z])({names});", lambda m: rules.broken_entities[m.group(1)], text)
    return text


def drop_promos(lines: list[str], rules: Rules) -> list[str]:
    """Cut promo sentences out of body paragraphs (`…范文,海量公文素材资料,下载网址:…`)."""
    out = []
    for line in lines:
        for p, needle in zip(rules.promo_patterns, rules.promo_needles, strict=True):
            if needle in line:
                line = p.sub("", line)
        if line.strip():
            out.append(line.strip())
    return out


def clean_lines(lines: list[str], rules: Rules, family: Family | None = None, title: str | None = None) -> list[str]:
    """All line rules in order; what is left is the document (and any appended document)."""
    lines = [line.strip() for line in lines if line.strip()]
    lines = drop_site_name(lines, rules)
    lines = watermark.clean(lines)
    lines = notices.drop(lines)
    lines = drop_tips(lines, rules)
    lines = drop_tail(lines, rules)
    lines = drop_promos(lines, rules)
    lines = [line for line in lines if not is_chrome_line(line, rules, family)]
    lines = drop_header_keywords(lines)
    lines = intros.drop(lines)
    lines = drop_title_echo(lines, title)
    lines = drop_teasers(lines)
    lines = rejoin_pages(lines, family)
    lines = join_broken_lines(lines)
    return lines


def split_appendix(text: str, rules: Rules) -> list[str]:
    """Text after `以下内容供阅读:` is another document: return [part 0, part 1, …]."""
    parts = rules.appendix_markers.split(text)
    return [p.strip() for p in parts]


def title_from_start(text: str, rules: Rules, max_len: int = 60) -> str | None:
    """The title glued to the start of a body: the longest prefix ending in a document word (计划,
    总结, 方案 …) that is followed by more text."""
    head = text[:max_len]
    best = None
    for word in rules.title_endings:
        for m in re.finditer(re.escape(word), head):
            end = m.end()
            if 6 <= end < len(text) and not re.search(r"[，。,；;！？]", head[:end]) and (best is None or end > best):
                best = end
    first_line = text.split("\n", 1)[0]
    if "\n" in text and len(first_line) <= max_len and not ends_sentence(first_line) and not is_prose(first_line):
        return first_line
    return text[:best] if best else None

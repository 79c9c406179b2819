"""Title, date and `meta` fields of a doc-site page, read from its lines (`ID:1742762`, `页数:21页`,
`上传人:…`, `发布 2023-06-11 … 阅读 7607`, `《X.docx》由会员分享 … (8页珍藏版)`)."""
from __future__ import annotations

import re

from pipelines.han import CLASS as HAN

from . import clean
from .passes import load as load_vocabulary
from .rules import Rules

FILE_NAME = re.compile(r"^[^\s:：]{2,100}\.(docx?|pdf|pptx?|xlsx?|txt|wps)$", re.I)
# names of a paper's authors, spaced: 曾莉 张颖 陈冰 (a byline, not a title)
AUTHOR_LINE = re.compile(rf"^{HAN}{{2,4}}(\s+{HAN}{{2,4}}){{1,7}}$")
PAGE_CAPTION = re.compile(r"^(.{4,80}?)_第\d+页$")
LABELLED = re.compile(r"^[【\[][^】\]]{1,8}[】\]]")  # 【关键词】…, 【摘要】…: a field of the document
# a section of the document (一、引言, 1.1 背景, （一）, 第二章): a heading in the body, not its title
SECTION_HEADING = re.compile(r"^([一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+(\.\d+)*[、.．\s]|第\S{1,3}[章节条部分篇])")
# an uploader field that names no one: 作者:网友投稿
NOT_A_PERSON = re.compile(r"(网友|用户|会员)(投稿|上传|分享)|网络(整理)?|互联网|本站(整理)?|佚名|未知")
DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
EXT = re.compile(r"\.(docx?|pdf|pptx?|xlsx?|txt|wps)\b", re.I)
SITE_SUFFIX = re.compile(r"\s*([-_|–—]|\s-\s)\s*[^-_|–—]{1,20}$")


def iso_date(s: str | None) -> str | None:
    if not s:
        return None
    m = DATE.search(s)
    if not m:
        return None
    y, mo, d = (int(x) for x in m.groups())
    if not (1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _value(lines: list[str], keys: list[str]) -> str | None:
    pattern = re.compile(rf"(?:^|\s)(?:{'|'.join(keys)})\s*[:：]\s*(\S+(?:\s\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?)")
    for line in lines:
        if len(line) > 200:
            continue
        if m := pattern.search(line):
            return m.group(1)
    return None


def extract_meta(lines: list[str], rules: Rules) -> tuple[dict, str | None]:
    """(meta, published ISO date) from a page's lines; only what the page shows."""
    keys = rules.meta_keys
    meta: dict = {}
    if (v := _value(lines, keys.get("site_doc_id", []))) and re.fullmatch(r"[\w-]{3,40}", v):
        meta["site_doc_id"] = v
    if (v := _value(lines, keys.get("pages", []))) and (m := re.match(r"(\d+)", v)):
        meta["pages"] = int(m.group(1))
    if (v := _value(lines, keys.get("format", []))) and re.fullmatch(r"[A-Za-z]{2,5}", v):
        meta["format"] = v.lower()
    if (v := _value(lines, keys.get("file_size", []))) and re.fullmatch(r"[\d.]+\s*[KMG]?B", v, re.I):
        meta["file_size"] = v
    if (v := _value(lines, keys.get("uploader", []))) and not NOT_A_PERSON.fullmatch(v):
        meta["uploader"] = v
    published = iso_date(_value(lines, keys.get("published", [])))
    # `发布 2023-06-11 07:47:28 阅读 7607`
    for line in lines[:40]:
        if len(line) <= 80 and (m := re.match(r"^(发布|發布|发表于|發表於)\s*[:：]?\s*(\S+)", line)):
            published = published or iso_date(m.group(2))
        if len(line) <= 80 and (m := re.search(r"(阅读|閱讀|浏览|瀏覽)\s*[:：]?\s*(\d+)\s*(次)?$", line)):
            meta.setdefault("views", int(m.group(2)))
    # 《X.docx》由会员分享 … 《X(8页珍藏版)》
    for line in lines[:10]:
        if "由会员分享" in line or "珍藏版" in line:
            if (m := re.search(r"(\d+)页珍藏版", line)):
                meta.setdefault("pages", int(m.group(1)))
            if (m := re.search(r"《[^》]+\.(docx?|pdf|pptx?|xlsx?|txt|wps)》", line, re.I)):
                meta.setdefault("format", m.group(1).lower())
    if published:
        meta["published"] = published
    return meta, published


def member_share_title(lines: list[str]) -> str | None:
    for line in lines[:10]:
        if "由会员分享" in line and (m := re.search(r"《([^》]+)》", line)):
            return m.group(1)
    return None


def clean_title(title: str | None) -> str | None:
    """Without .docx and without the site's name (`X.docx - 演示文库`, `X_範文網`, `X(8页珍藏版)-…`)."""
    if not title:
        return None
    t = title.strip()
    for p in load_vocabulary().watermark_cuts:  # X(此文档为word格式,可任意编辑)
        t = p.sub("", t).strip()
    t = re.split(r"\s+[-_|–—]\s+", t)[0]
    t = SITE_SUFFIX.sub("", t) if re.search(r"[-_|–—]", t) and len(t) > 8 else t
    t = re.sub(r"\(\d+页珍藏版\)$", "", t)
    t = EXT.sub("", t).strip()
    return t or None


def is_spam_line(line: str) -> bool:
    """A link farm's header line (adult or gambling words strung together with _ or |): not a
    title and not the body. Three different spam words and no sentence."""
    if len(line) > 160 or re.search(r"[。，,！？]", line):
        return False
    return len(set(load_vocabulary().spam_words.findall(line))) >= 3


def text_title(lines: list[str], rules: Rules) -> str | None:
    """Title of a flattened page: a file name line (X.docx) in the page's header, else a short line
    the header repeats (范文 sites print the title two or three times), else the first line near
    the top that is neither chrome, prose, a spam line nor an author byline."""
    for line in lines[:40]:
        if FILE_NAME.match(line):
            return line
    for line in lines[:10]:  # page images captioned X_第1页
        if m := PAGE_CAPTION.match(line):
            return m.group(1)
    head = lines[:12]
    candidates = [x for x in head if len(x) <= 80 and not clean.is_prose(x) and not clean.is_chrome_line(x, rules)
                  and not is_spam_line(x) and not AUTHOR_LINE.match(x) and not LABELLED.match(x)
                  and not SECTION_HEADING.match(x)]
    for line in candidates:
        if head.count(line) >= 2:
            return line
    for line in candidates:  # a line that ends like a document title (…工作总结, …方案)
        if any(line.endswith(w) for w in rules.title_endings):
            return line
    return candidates[0] if candidates else None

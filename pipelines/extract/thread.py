"""Threads: forum topics, Q&A pages, comment streams. Their document is every post, replies
included, under the topic's title; an article's document is its body alone (its comments are not
part of it).

A page is a thread when
- a line only threads show is on it (`rules.yaml` `thread_markers`: floor labels 楼主/沙发/#2,
  `查看: N | 回复: N`, 只看该作者, `N 个回答`), or
- its prose sits in posts: a run of ≥ 3 look-alike sibling blocks, each with a date or relative
  time (`rules.byline_time`) and some text of its own, holds ≥ 30 % of the page's non-link text.
  An article with a few comments under it keeps most of its text outside them; a related-news
  list is led by headline links and is not counted.
"""
from __future__ import annotations

import logging
import re

from lxml.html import HtmlElement

from .html import EXCERPT_MAX, has_headline, is_excerpt
from .rules import Rules, load

logger = logging.getLogger(__name__)

WS = re.compile(r"\s+")
MIN_POSTS = 3
POST_SHARE = 0.3  # share of the page's non-link text that posts must hold
POST_MIN_TEXT = 10  # non-link characters of a post beside its byline
HEADLINE = 8  # a link this long in a short item makes it a teaser, not a post
TEASER_MAX = 300
# inline or paragraph siblings are a text's parts, not posts
NOT_POSTS = frozenset("p br span a img em strong b i font".split())
SKIP = ("script", "style", "noscript", "select", "option", "template")


def _len(s: str | None) -> int:
    return len(WS.sub("", s)) if s else 0


def _own_text(el: HtmlElement) -> tuple[int, int]:
    """(characters, characters in links) of an element's text."""
    total = _len(el.text_content())
    link = sum(_len(a.text_content()) for a in el.iter("a"))
    return total, link


def _text_of(el: HtmlElement) -> str:
    return "".join(t for t in el.itertext() if t)


def post_run(body: HtmlElement, rules: Rules) -> tuple[int, float, HtmlElement | None]:
    """(posts, share of non-link text, their parent) of the largest run of look-alike blocks
    carrying a time. Teasers and excerpts of other pages are not posts."""
    byline = rules.byline_time
    if byline is None:  # no rule tells a post's time: no run of posts
        return 0, 0.0, None
    total, link = _own_text(body)
    page = max(total - link, 1)
    best: tuple[int, float, HtmlElement | None] = (0, 0.0, None)
    for el in body.iter():
        if not isinstance(el.tag, str) or len(el) < MIN_POSTS:
            continue
        groups: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in el:
            if isinstance(child.tag, str) and child.tag not in NOT_POSTS:
                groups.setdefault((child.tag, child.get("class") or ""), []).append(child)
        for items in groups.values():
            if len(items) < MIN_POSTS:
                continue
            posts = []
            for item in items:
                chars, links = _own_text(item)
                if chars <= TEASER_MAX and has_headline(item, HEADLINE) or chars <= EXCERPT_MAX and is_excerpt(item):
                    continue
                if chars - links >= POST_MIN_TEXT and byline.search(_text_of(item)):
                    posts.append(chars - links)
            if len(posts) >= MIN_POSTS and len(posts) > best[0]:
                best = (len(posts), sum(posts) / page, el)
    return best


def post_share(body: HtmlElement, rules: Rules) -> tuple[int, float]:
    """(posts, share of non-link text) of the largest run of look-alike blocks carrying a time."""
    return post_run(body, rules)[:2]


# class/id words of the area that holds an article's comments (camelCase too: commentList)
COMMENT_ATTR = re.compile(r"comment|(^|[-_ ])(cmts?|discuss(ion)?s?|pinglun)([-_ ]|$)", re.I)
ARTICLE_PARAS = 2  # blocks of prose between the headline and the comments that make an article
PARA_MIN = 15  # characters of such a block
SENTENCE = re.compile(r"[。！？!?…”」]\s*$")


def comment_area(posts_parent: HtmlElement) -> HtmlElement | None:
    """The comment-named element holding the posts (the posts' parent or an ancestor), or None."""
    for el in (posts_parent, *posts_parent.iterancestors()):
        if el.tag in ("body", "html"):
            return None
        if COMMENT_ATTR.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
            return el
    return None


BLOCK_CHILDREN = frozenset(("p", "div", "section", "article", "ul", "ol", "table", "li", "blockquote"))


def _own_line(el: HtmlElement) -> str:
    """The text of an element outside its block children (a paragraph's words)."""
    parts = [el.text or ""]
    for child in el:
        # a comment or a block child: only its tail is this element's own text
        if not isinstance(child.tag, str) or child.tag in BLOCK_CHILDREN:
            parts.append(child.tail or "")
        else:
            parts.append(_text_of(child) + (child.tail or ""))
    return WS.sub("", "".join(parts))


def article_before(body: HtmlElement, area: HtmlElement) -> bool:
    """Whether an article stands before `area` on the page: the page's headline (its first
    `<h1>`, else `<h2>`) outside the area, then ≥ 2 blocks of prose before the area starts."""
    heads = [h for tag in ("h1", "h2") for h in body.iter(tag)][:1]
    if not heads or any(a is area for a in heads[0].iterancestors()):
        return False
    head, seen, paras = heads[0], False, 0
    for el in body.iter():
        if el is area:
            break
        if el is head:
            seen = True
            continue
        if seen and isinstance(el.tag, str) and el.tag not in ("a", "span", "em", "strong", "b", "i", "font"):
            line = _own_line(el)
            if len(line) >= PARA_MIN and SENTENCE.search(line):
                paras += 1
    return paras >= ARTICLE_PARAS


def is_thread(root: HtmlElement | None, lines: list[str] | None = None, rules: Rules | None = None) -> bool:
    """Whether a parsed page is a thread; `lines`: the page flattened (html.flatten of the body).

    Posts in a comment-named area under an article (`article_before`) are the article's comments,
    however much text they hold: the page is no thread, and the area is marked as chrome
    (`data-chrome`) for the body finder, which runs on the same tree."""
    rules = rules or load()
    body = root.find("body") if root is not None else None
    if body is None:
        return False
    if lines and any(p.search(x) for x in lines for p in rules.thread_markers):
        return True
    if rules.byline_time is None:
        return False
    # their text is not the page's (the body finder drops them too)
    for el in list(body.iter(*SKIP)):
        if el.getparent() is not None:
            el.drop_tree()
    posts, share, parent = post_run(body, rules)
    if posts < MIN_POSTS:
        return False
    area = comment_area(parent)
    if area is not None and article_before(body, area):
        area.set("data-chrome", "1")
        return False
    return share >= POST_SHARE


def with_title(lines: list[str], title: str | None) -> list[str]:
    """A thread's text starts with its topic title (the first post's subject)."""
    if not title or not lines:
        return lines
    t = WS.sub("", title)
    if any(t in WS.sub("", x) for x in lines[:3]):
        return lines
    return [title] + lines

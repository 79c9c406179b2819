"""Page to documents: decode -> find the body -> clean -> split -> convert -> identify language.

`extract_page` is a pure function of a Page (no database, no network), so it can run in worker
processes; dedup and storage happen afterwards in `pipelines.ingest`.

How the body is found:
- the page is flattened to lines (HTML: like a browser shows it; `.txt`: as it is) and its family
  is recognised from tell-tale lines (pipelines/extract/families/*.yaml);
- doc-site families: the family's container (if the page has it), else the generic finder;
  flattened text pages: all lines;
- unknown layouts: `html.generic_body` (readability, trafilatura and our density scorer, agreeing);
- then the same line rules for every page (pipelines/extract/clean.py), page rejoin, appendix split.

A site profile's hints (`SiteHints`, from crawler/sites/*.yaml) refine this for the pages of its
site: a family when the page shows none, a container tried first, lines the document starts after
or ends before, numbered preview pages. A page without hints takes the path above unchanged.
See docs/extraction.md.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from ..model import Document, Extraction, Page, Problem, SiteHints  # noqa: F401 - the records, re-exported
from . import clean, convert, docmeta, html, langid, metadata, pinyin, quality, thread
from .decode import decode
from .rules import Rules, detect_family, load, matches_a_line

logger = logging.getLogger(__name__)

MIN_DOC_CHARS = clean.MIN_DOC_CHARS  # fewer non-space characters than this is not a document
# Pages saying one of these show only part of the document.
WALL = re.compile(r"还剩\s*\d+\s*页未读|继续免费阅读|在线预览结束|预览已结束|剩余\s*\d+\s*页未读|试读已?结束|阅读已结束")
LISTING_LINK_SHARE = 0.5


def site_of(url: str) -> str | None:
    host = urlsplit(url).hostname if "://" in url else None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def clean_title(title: str | None) -> str | None:
    return metadata.clean_title(title)


def _is_logo(h1: HtmlElement) -> bool:
    """An <h1> that is the site's logo: an image, or a link to the home page."""
    return h1.find(".//img") is not None or any(
        re.fullmatch(r"(https?://[^/]+)?/?(index\.\w+)?", (a.get("href") or "").strip()) for a in h1.iter("a"))


def _html_title(root: HtmlElement) -> str | None:
    """The heading (h1-h3) the <title> starts with, the longest if several (the document's own
    heading: the <title> adds the site's name; a column name or an author line in a heading is not
    it); else the first <h1> that is not the site's logo; else the <title> (cleaned later)."""
    t = root.find(".//title")
    page_title = re.sub(r"\s+", "", t.text) if t is not None and t.text else ""
    if page_title:
        heads = [re.sub(r"\s+", " ", h.text_content()).strip() for h in root.iter("h1", "h2", "h3") if not _is_logo(h)]
        heads = [h for h in heads if 4 <= len(h) <= 100 and page_title.startswith(re.sub(r"\s+", "", h))]
        if heads:
            return max(heads, key=len)
    for h1 in root.iter("h1"):
        t = re.sub(r"\s+", " ", h1.text_content()).strip()
        if not _is_logo(h1) and 2 <= len(t) <= 100:
            return t
    t = root.find(".//title")
    if t is not None and t.text:
        return re.sub(r"\s+", " ", t.text).strip() or None
    return None


def _topic_title(root: HtmlElement) -> str | None:
    """A thread's topic (put on top of its text): the page title, without the site's name."""
    return clean_title(_html_title(root))


META_DATE_NAMES = ("article:published_time", "og:release_date", "pubdate", "publishdate", "datepublished",
                   "publish_date", "og:published_time", "date")


def _meta_date(root: HtmlElement) -> str | None:
    for el in root.iter("meta"):
        name = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        if name in META_DATE_NAMES and (d := metadata.iso_date(el.get("content"))):
            return d
    return None


def _container_lines(root: HtmlElement, xpaths: list[str]) -> list[str] | None:
    for xp in xpaths:
        try:
            found = root.xpath(xp)
        except Exception:  # noqa: BLE001 - a bad selector in a YAML file must not stop extraction
            logger.warning("bad container selector %r", xp)
            continue
        for el in found:
            text = html.flatten(el)
            if len(text) >= 100:
                return text.split("\n")
    return None


def _family_id(lines: list[str], url: str, rules: Rules, hints: SiteHints | None) -> str | None:
    """The family the page's tell-tales show; else the one its site profile names."""
    found = detect_family(lines, url, rules)
    if found is None and hints is not None and rules.family(hints.family):
        return hints.family
    return found


@dataclass(slots=True, frozen=True)
class _TreeFacts:
    """What extraction asks of an HTML page's tree after its body is found (read before the
    generic finder prunes the tree)."""

    date: str | None  # a publication date in a <meta>
    topic: str | None  # a thread's topic: the page title without the site's name
    links: Callable[[], tuple[int, int]]  # (text chars, link chars) of the page
    thread: bool = False


@dataclass(slots=True, frozen=True)
class _Body:
    """A page's body as the finder found it."""

    page_lines: list[str]  # the whole page, flattened
    lines: list[str]  # the body's
    title: str | None
    extractor: str  # "text", "container", or which answer of the generic finder
    family_id: str | None
    facts: _TreeFacts | None = None  # None for a flattened text page


def _body_lines(page: Page, text: str, rules: Rules, url: str, hints: SiteHints | None = None) -> _Body | None:
    """The body of a page and what was learnt finding it; None when there is no page at all."""
    if page.kind == "text":
        lines = [x.strip() for x in text.splitlines() if x.strip()]
        title = metadata.member_share_title(lines) or metadata.text_title(lines, rules)
        return _Body(lines, lines, title, "text", _family_id(lines, url, rules, hints))
    root = html.parse(text)
    body = root.find("body") if root is not None else None
    if body is None:
        return None
    page_lines = html.flatten(body).split("\n")
    title = _html_title(root)
    date, topic = _meta_date(root), _topic_title(root)
    family_id = _family_id(page_lines, url, rules, hints)
    family = rules.family(family_id)
    containers = family.containers if family else []
    if hints is not None and hints.body_container:
        containers = [hints.body_container, *containers]
    if containers and (container_lines := _container_lines(root, containers)):
        # the link share is only asked for when a page has no prose line: counted then, not on every page
        return _Body(page_lines, container_lines, title, "container", family_id,
                     _TreeFacts(date, topic, lambda: html.link_density(root)))
    if family:
        title = metadata.member_share_title(page_lines) or title
    links = html.link_density(root)  # now: thread detection and the generic finder prune the tree
    is_thread = thread.is_thread(root, page_lines, rules)
    body_text, extractor = html.generic_body(text, root, url, thread=is_thread)
    return _Body(page_lines, body_text.split("\n"), title, extractor, family_id,
                 _TreeFacts(date, topic, lambda: links, is_thread))


def extract_page(page: Page, hints: SiteHints | None = None) -> Extraction:
    """Find the documents in a page. Raises decode.DecodeError for undecodable bytes.

    (A site's boilerplate learned from its other pages is cut where pages are stored:
    pipelines/extract/boilerplate.py.)
    `hints`: what the page's site profile knows about its layout (`SiteHints`).
    """
    text, encoding = decode(page.body, page.content_type)
    if page.kind == "text":  # before anything reads the words: 導(dǎo)語 hides 導語 from every rule
        text = pinyin.strip(text)
    url = page.final_url or page.url
    site = site_of(url)
    rules = load()
    if len(text) > html.MAX_HTML_CHARS:  # a giant page: its start holds any document it has
        logger.info("%s: %d characters, reading the first %d", page.url, len(text), html.MAX_HTML_CHARS)
        text = text[:html.MAX_HTML_CHARS]
    found = _body_lines(page, text, rules, url, hints)
    if found is None:
        return Extraction([], encoding, problem=Problem("not_a_document", "HTML without a <body> (or no markup at all)"))
    page_lines, lines, title, facts, family_id = found.page_lines, found.lines, found.title, found.facts, found.family_id
    if page.kind != "text":  # an HTML page: its flattened text, not its markup (see pinyin.strip_page)
        page_lines, lines, title = pinyin.strip_page(page_lines, lines, title)
    # the rules are written in simplified words: a traditional page is read in simplified script
    page_lines, lines, title, traditional = convert.simplify_page(page_lines, lines, title)
    if traditional and family_id is None:
        family_id = _family_id(page_lines, url, rules, hints)
    if traditional and page.kind == "text":  # its title was chosen by rules that read simplified words
        title = metadata.member_share_title(lines) or metadata.text_title(lines, rules)
    family = rules.family(family_id)
    if hints is not None:  # the site's own marks of where its documents start and end come first
        lines = hints.cut(lines)
        family = hints.family_of(family)
    meta, published = metadata.extract_meta(page_lines, rules)
    if not published and facts:
        published = facts.date
        if published:
            meta["published"] = published
    lines = clean.clean_lines(lines, rules, family, title)
    if facts and facts.thread:
        lines = thread.with_title(lines, facts.topic)
    body = clean.repair("\n".join(lines), rules)
    if facts and _is_listing(body, facts.links):
        return Extraction([], encoding, family_id, found.extractor)
    parts = clean.split_appendix(body, rules)
    walled = matches_a_line(WALL, "\n".join(page_lines), page_lines)
    docs: list[Document] = []
    for i, part in enumerate(parts):
        if len(re.sub(r"\s+", "", part)) < MIN_DOC_CHARS:
            continue
        last = i == len(parts) - 1
        if i == 0:
            part_title, part_meta, part_published = clean_title(title), dict(meta), published
        else:
            part_title, part_meta, part_published = clean.title_from_start(part, rules), {}, None
        truncated = last and (walled or bool(family and family.preview and not clean.ends_sentence(part)))
        doc = Document(url=page.url, part=len(docs), site=site, title=part_title, text=part,
                       published=part_published, meta=part_meta, truncated=truncated,
                       traditional=traditional)
        docs.append(finish(doc, rules))
    return Extraction(docs, encoding, family_id, found.extractor)


def _is_listing(body: str, links: Callable[[], tuple[int, int]]) -> bool:
    """An index or navigation page: no line of prose in what is left, and mostly links.
    `links()` gives (text chars, link chars) of the page."""
    if any(clean.is_prose(x) for x in body.split("\n")):
        return False
    total, link = links()
    return bool(total) and link / total >= LISTING_LINK_SHARE


def finish(doc: Document, rules: Rules | None = None) -> Document:
    """Identify the language, convert Chinese to simplified script, add quality signals and the
    report metadata (kind, issuer, years, date: pipelines/extract/docmeta.py)."""
    rules = rules or load()
    doc.lang = langid.identify(doc.text)
    if doc.lang == "zh":  # t2s would also rewrite Japanese kanji
        doc.text, converted = convert.simplify(doc.text)
        doc.traditional = doc.traditional or converted
        if doc.title:
            doc.title = convert.to_simplified(doc.title)
    doc.quality = quality.signals(doc.text, rules)
    for name, value in docmeta.describe(doc.title, doc.text).to_json().items():
        setattr(doc, name, value)
    return doc

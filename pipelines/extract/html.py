"""HTML to text: parse once, flatten like a browser, and find the main content by text density.

`flatten` turns a subtree into lines the way a browser shows them (block elements start new
lines), so doc-site pages can go through the same line rules as flattened `.txt` pages.
`density_body` is our own generic content finder: every text block gets a score (+ for prose,
- for link lists and short navigation), and the subtree with the largest total wins — a thread's
posts and an article's paragraphs both sit under the node that collects the most prose.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from itertools import islice

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from .score import bigram_f1, bigrams

logger = logging.getLogger(__name__)
# trafilatura warns about every page it finds nothing in; we try several extractors, so that is noise
logging.getLogger("trafilatura").setLevel(logging.ERROR)

BLOCK = frozenset("""address article aside blockquote body center dd details dialog dir div dl dt fieldset
figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr html li main menu nav ol p pre section
summary table tbody td tfoot th thead tr ul br""".split())
DROP = frozenset("""script style noscript iframe svg canvas template select button input textarea option
object embed audio video map head title meta link""".split())
# Containers that are page chrome in HTML5 layouts; dropped before scoring.
CHROME_TAGS = frozenset("nav footer aside".split())
# class/id words that mark chrome; a match removes the element before scoring (unless it holds
# most of the page's prose, see `_strip_chrome`).
CHROME_ATTR = re.compile(
    r"(^|[-_ ])(footer|foot|sidebar|side|nav|navbar|menu|breadcrumbs?|crumbs?|copyright|share|"
    r"social|advert|ads?|adsbygoogle|banner|recommend|related|hot|hotnews|rank|ranking|login|"
    r"toolbar|pagination|pager|paging|subnav|topbar|top-bar|header-nav|qrcode|download-app|"
    r"app-download|statement|disclaimer|modal|popup|dialog|mask|overlay|pay)([-_ ]|$)", re.I)
# class/id words of the element holding the text (as readability weighs them): its blocks count more,
# which decides pages whose document is only a line or two.
CONTENT_ATTR = re.compile(r"(^|[-_ ])(article|content|post|entry|main|text|body|story|detail)s?([-_ ]|$)", re.I)
CONTENT_BONUS = 1.25
# media players: their controls (倍速 2.0X 高清 00:00) are text but not the page's; class names are
# often camelCase (mplayer, playerControl), so these match anywhere in the attribute
PLAYER_ATTR = re.compile(r"player|video-?(inner|wrap|box|container)|control-?bar", re.I)
PUNCT = re.compile(r"[，。！？；：、,.!?;:「」“”]")
# an ASCII , . : between two digits is part of a number, a time or a ratio (2,000  3.61  17:53:10
# 1:1), not of a sentence: a dateline is not prose
NUMBER_SEP = re.compile(r"[,.:](?<=\d[,.:])(?=\d)")


def punct_count(text: str, _find: Callable[[str], list[str]] = PUNCT.findall,
                _seps: Callable[[str], list[str]] = NUMBER_SEP.findall) -> int:
    """Prose punctuation marks in `text` (one regex with the number rule inside costs 4x as much:
    this runs on every text node of a page)."""
    n = len(_find(text))
    if n and ("." in text or ":" in text or "," in text):
        n -= len(_seps(text))
    return n

WS = re.compile(r"\s+")
MAX_HTML_CHARS = 3_000_000  # parse at most this much; the rest of a giant page is not a document


# lxml.html's own parser picks each element's class (forms, inputs, labels…) with a lookup written
# in Python, called every time an element is touched: on a big page that was a tenth of extraction.
# Every element here is a plain HtmlElement (text_content, drop_tree, drop_tag are all we use),
# chosen in C.
_PARSER = lxml.html.HTMLParser()
_PARSER.set_element_class_lookup(lxml.etree.ElementDefaultClassLookup(
    element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment,
    pi=lxml.html.HtmlProcessingInstruction, entity=lxml.html.HtmlEntity))


def parse(html: str) -> HtmlElement | None:
    """lxml element of the page's <html>, or None when there is no markup to speak of."""
    if not html or not html.strip():
        return None
    html = html[:MAX_HTML_CHARS]
    # lxml refuses str input that carries an XML encoding declaration
    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)
    try:
        root = lxml.html.document_fromstring(html, parser=_PARSER)
    except (lxml.etree.ParserError, ValueError) as e:
        logger.debug("unparsable HTML: %s", e)
        return None
    return root


def _text_len(s: str | None) -> int:
    return len(WS.sub("", s)) if s else 0


# A character no page uses (Unicode private use) marks where a block starts or ends in the XSLT
# output; source newlines inside a block are only whitespace, as in a browser.
_BREAK = "\ue000"
_FLATTEN = lxml.etree.XSLT(lxml.etree.XML(
    '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
    '<xsl:output method="text" encoding="UTF-8"/>'
    f'<xsl:template match="{"|".join(sorted(DROP))}"/>'
    f'<xsl:template match="{"|".join(sorted(BLOCK))}">'
    '<xsl:text>&#xE000;</xsl:text><xsl:apply-templates/><xsl:text>&#xE000;</xsl:text></xsl:template>'
    # a page's own marker characters become spaces, so every marker left is a block edge
    '<xsl:template match="text()"><xsl:value-of select="translate(., \'&#xE000;\', \' \')"/></xsl:template>'
    '</xsl:stylesheet>'))


def flatten(node: HtmlElement, skip: set[HtmlElement] | None = None) -> str:
    """Text of `node` as a browser shows it: one line per block, inline text joined.

    The walk runs in libxslt (2-3x faster than a Python walk, and this runs over every page's
    whole body); with a `skip` set of elements to leave out it takes the Python walk, which gives
    the same lines.
    """
    if skip:
        return _flatten_walk(node, skip)
    text = WS.sub(" ", str(_FLATTEN(node)))  # the marker is not white space: one pass for all lines
    # map/filter: a page's menu alone is hundreds of lines, and generator steps cost more than the strips
    return "\n".join(filter(None, map(str.strip, text.split(_BREAK))))


def _flatten_walk(node: HtmlElement, skip: set[HtmlElement] | None = None) -> str:
    out: list[str] = []
    line: list[str] = []

    def newline() -> None:
        if line:
            out.append("".join(line))
            line.clear()

    def walk(el: HtmlElement, top: bool = False) -> None:
        tag = el.tag if isinstance(el.tag, str) else None
        if tag is None or tag in DROP or (skip and el in skip):
            if el.tail and not top:
                line.append(el.tail)
            return
        block = tag in BLOCK
        if block:
            newline()
        if el.text:
            line.append(el.text)
        for child in el:
            walk(child)
        if block:
            newline()
        if el.tail and not top:  # the text after an element is not part of it
            line.append(el.tail)

    walk(node, top=True)
    newline()
    lines = (WS.sub(" ", x).strip() for x in out)
    return "\n".join(x for x in lines if x)


def _is_hidden(el: HtmlElement) -> bool:
    return el.get("hidden") is not None or "display:none" in (el.get("style") or "").replace(" ", "").lower()


# `card__footer`: a component's own footer (BEM), not the page's; in a thread it holds a post's replies
BEM_FOOTER = re.compile(r"__foot(er)?\b")


# hidden elements, found in C: the `hidden` attribute, or display:none in any case and spacing
_HIDDEN = lxml.etree.XPath('.//*[@hidden or contains(translate(@style, "ABCDEFGHIJKLMNOPQRSTUVWXYZ ", '
                           '"abcdefghijklmnopqrstuvwxyz"), "display:none")]')


def _says_chrome(el: HtmlElement, thread: bool = False) -> bool:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}"
    if thread:
        attrs = BEM_FOOTER.sub("", attrs)
    return el.tag in CHROME_TAGS or (el.tag not in ("body", "html") and bool(CHROME_ATTR.search(attrs) or PLAYER_ATTR.search(attrs)))


FOLD_MIN_CHARS = 30  # a hidden continuation holds at least this much text
FOLD_PUNCT = 0.02  # ... and reads as prose: this many sentence marks per character
FOLD_COPY = 0.5  # a hidden block whose bigrams are this much in the text before it is a copy, not the rest
FOLD_SIBLINGS = 20  # how many siblings before a hidden block are read (bounded work on long hidden lists)


def _prose_chars(text: str) -> int:
    """Characters of `text` when it reads as prose (enough punctuation), else 0."""
    chars = _text_len(text)
    return chars if chars >= FOLD_MIN_CHARS and punct_count(text) >= FOLD_PUNCT * chars else 0


def _continues_body(el: HtmlElement) -> bool:
    """Whether a hidden element is the folded rest of the text before it (a mobile page shows the
    first part, an ad and 展开全文, and keeps the rest in a display:none block), not hidden chrome.

    It is when it holds prose, neither it nor an ancestor says it is chrome (modals, menus,
    share boxes, login forms), and a visible sibling before it — or before its parent — holds
    prose too, which the hidden text does not merely repeat."""
    if any(_says_chrome(a) for a in (el, *el.iterancestors())):
        return False
    text = el.text_content()
    if not _prose_chars(text):
        return False
    for node in (el, el.getparent()):
        if node is None or node.getparent() is None or node.getparent().tag in ("body", "html"):
            break  # a hidden block beside the page's main parts is not part of a text
        before = [s.text_content() for s in islice(node.itersiblings(preceding=True), FOLD_SIBLINGS)
                  if isinstance(s.tag, str) and not _is_hidden(s) and s.tag not in DROP]
        shown = "\n".join(reversed(before))
        if _prose_chars(shown):
            grams = bigrams(text)
            return sum((grams & bigrams(shown)).values()) < FOLD_COPY * max(sum(grams.values()), 1)
    return False


def _strip_chrome(root: HtmlElement, thread: bool = False) -> None:
    """Remove scripts and the like and hidden elements (except the folded rest of the body:
    `_continues_body`), and mark elements that say they are chrome; in a `thread` a component's
    own footer (`post__footer`, where replies to a post sit) is not."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):  # comments, processing instructions
            if el.getparent() is not None:
                el.drop_tree()
            continue
        if el.tag in DROP and el.getparent() is not None:
            el.drop_tree()
    # decided on the whole tree first: whether a hidden block continues the body depends on its
    # visible siblings, not on what was dropped before it
    verdicts = [(el, _continues_body(el)) for el in _HIDDEN(root) if el.getparent() is not None]
    dropped: set = set()
    for el, rest in verdicts:
        if any(a in dropped for a in el.iterancestors()):
            continue  # inside a hidden block already dropped
        if rest:  # its paragraphs join the visible ones, as after a click on 展开全文
            el.drop_tag()
        else:
            el.drop_tree()
            dropped.add(el)
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if _says_chrome(el, thread):
            el.set("data-chrome", "1")
    for a in [a for a in _AD_CANDIDATES(root) if _is_labelled_ad(a)]:  # inline: out of the tree, its tail stays
        a.drop_tree()


# the label an ad carries in its own element at its start (<a><i>广告</i><span>…</span></a>)
AD_LABELS = ("广告", "推广", "赞助", "AD", "Ad", "ad", "Sponsored")
AD_MAX = 120  # an ad set between paragraphs is a line, not a text
# links with no words before their first element, that element one of the labels (found in C)
_AD_CANDIDATES = lxml.etree.XPath(".//a[not(normalize-space(text()))][*[1][{}]]".format(
    " or ".join(f'normalize-space(.)="{w}"' for w in AD_LABELS)))


def _is_labelled_ad(a: HtmlElement) -> bool:
    """A link set in a text that says it is an ad: its first words are an ad label element
    (`AD_LABELS`), its words another element."""
    if _text_len(a.text_content()) > AD_MAX:
        return False
    first = a[0]
    # the label is an element of its own, the ad's words another: <b>推广</b>普通话 is a headline
    return not _text_len(first.tail) and len(a) > 1


TEASER_MIN_ITEMS = 3  # a list of this many look-alike items can be a teaser list
TEASER_HEADLINE = 8  # a link with this much text inside an item is a headline pointing elsewhere
TEASER_ITEM_MAX = 300  # teasers are short: a headline, a snippet, a date
EXCERPT_MAX = 1500  # an excerpt of another page is longer, but not a whole article


def _signature(el: HtmlElement) -> tuple[str, str]:
    return el.tag, el.get("class") or ""


URLISH = re.compile(r"^\s*(https?://|www\.|@)", re.I)


def has_headline(item: HtmlElement, min_chars: int = TEASER_HEADLINE) -> bool:
    """Whether `item` holds a headline: a link with `min_chars` or more of words (a URL or an
    @mention that a post quotes is not one)."""
    for a in item.iter("a"):
        text = a.text_content()
        if _text_len(text) >= min_chars and not URLISH.match(text) and not HANDLE.match(text):
            return True
    return False


# the link under an excerpt to the page it comes from: 阅读全文 », 继续阅读, Read more
READ_MORE = re.compile(r"^\s*(阅读全文|继续阅读|阅读更多|查看全文|查看详情|全文|read more|continue reading|more)"
                       r"\s*[»>›→…\.]*\s*$", re.I)
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
HANDLE = re.compile(r"^\s*@?[A-Za-z0-9_.\-]+\s*$")  # a user name or id, not a headline


def _target(a: HtmlElement) -> str | None:
    """Where a link goes when that is another page (not an anchor on this one, not a script)."""
    href = (a.get("href") or "").strip()
    return None if not href or href.startswith("#") or href.lower().startswith("javascript:") else href


def is_excerpt(item: HtmlElement) -> bool:
    """Whether `item` is an excerpt of another page, whatever its length: a read-more link
    (阅读全文 ») to the page its title or picture links to as well, or a heading that is a link
    of headline length (not a user name: a post's heading can be its author). A post of a thread
    has neither; a blog's list of its other posts has one or both."""
    targets: dict = {}
    more = []
    for a in item.iter("a"):
        href = _target(a)
        if href is None:
            continue
        targets[href] = targets.get(href, 0) + 1
        if READ_MORE.match(a.text_content()):
            more.append(href)
    if any(targets[h] >= 2 for h in more):
        return True
    for h in item.iter(*HEADINGS):
        for a in (*h.iter("a"), *h.iterancestors("a")):  # <h3><a href>…</a></h3> or <a href><h3>…</h3></a>
            text = a.text_content()
            if _target(a) and _text_len(text) >= TEASER_HEADLINE and not HANDLE.match(text):
                return True
    return False


def _mark_teasers(root: HtmlElement) -> None:
    """Mark lists of related-article teasers as chrome: many look-alike siblings, each short and
    led by a headline link to another page. A news page's "related" block often holds more text
    than a short article beside it; posts of a thread are not led by headline links."""
    for el in root.iter():
        if not isinstance(el.tag, str) or len(el) < TEASER_MIN_ITEMS or el.get("data-chrome") == "1":
            continue
        groups: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in el:
            if isinstance(child.tag, str):
                groups.setdefault(_signature(child), []).append(child)
        items = max(groups.values(), key=len, default=[])
        if len(items) < TEASER_MIN_ITEMS:
            continue
        teasers = 0
        for item in items:
            chars = _text_len(item.text_content())
            if not chars:
                continue
            if chars <= TEASER_ITEM_MAX and has_headline(item) or chars <= EXCERPT_MAX and is_excerpt(item):
                teasers += 1
        if teasers >= 0.6 * len(items) and teasers >= TEASER_MIN_ITEMS:
            el.set("data-chrome", "1")


class _Stats:
    """An element's subtree: characters, link characters, punctuation and block score (summed).
    `own_*`: its inline text that counts for the nearest block ancestor (zero on a block, which
    scores its own text)."""

    __slots__ = ("chars", "link", "punct", "score", "own_chars", "own_link", "own_punct")

    def __init__(self) -> None:
        self.chars = self.link = self.punct = 0
        self.score = 0.0
        self.own_chars = self.own_link = self.own_punct = 0


LINK_WEIGHT = 1.0  # a character of link text costs this much beyond not counting
KEEP_LEAD = True
DESCEND = 0.6  # move from the best node to a child that holds this share of its score
# a prose sibling before that child, past a table of contents or an info box, is kept when it
# holds this share of the child's score (readability's share for siblings)
LEAD_JUMP = 0.2
# a lead's lines end a sentence or a verse line (a poem above its notes)
LEAD_END = re.compile(r"[。！？!?…”」，；]$")


def _block_score(chars: int, link: int, punct: int, short_ok: bool = False) -> float:
    if not chars:
        return 0.0
    ld = link / chars
    if ld > 0.5:
        return -chars * 1.0
    if chars < 12 and not punct and not short_ok:  # in a thread a short reply is still text
        return -chars * 0.5
    bonus = 1.0 + min(punct / max(chars, 1) * 10, 1.0)  # prose carries punctuation
    return (chars - link) * bonus - link * LINK_WEIGHT


def score_tree(root: HtmlElement, short_ok: bool = False) -> dict[HtmlElement, _Stats]:
    """Per element: subtree chars, link chars, punctuation and block score (summed)."""
    stats: dict[HtmlElement, _Stats] = {}

    def walk(el: HtmlElement, in_link: bool, in_chrome: bool, in_content: bool = False) -> _Stats:
        tag = el.tag
        st = _Stats()
        link = in_link or tag == "a"
        chrome = in_chrome or el.get("data-chrome") == "1"
        content = in_content or el.tag == "article" or bool(CONTENT_ATTR.search(f"{el.get('class') or ''} {el.get('id') or ''}"))
        own_c = _text_len(el.text)
        own_p = punct_count(el.text) if el.text else 0
        own_l = own_c if link else 0
        for child in el:
            if not isinstance(child.tag, str):
                continue
            sub = walk(child, link, chrome, content)
            st.chars += sub.chars; st.link += sub.link; st.punct += sub.punct; st.score += sub.score
            own_c += sub.own_chars; own_l += sub.own_link; own_p += sub.own_punct
            if child.tail:
                tl = _text_len(child.tail)
                own_c += tl
                own_p += punct_count(child.tail)
                if link:
                    own_l += tl
        if tag in BLOCK or el.getparent() is None:
            bs = _block_score(own_c, own_l, own_p, short_ok)
            if chrome and bs > 0:
                bs *= 0.2
            elif content and bs > 0:
                bs *= CONTENT_BONUS
            st.score += bs
            st.chars += own_c; st.link += own_l; st.punct += own_p
        else:  # inline content bubbles up to the block around it
            st.own_chars, st.own_link, st.own_punct = own_c, own_l, own_p
        stats[el] = st
        return st

    walk(root, False, False)
    _inline_cards(root, stats)
    return stats


CARD_BLOCKS = frozenset(BLOCK - {"br"})
CARD_REACH = 20  # siblings read on each side of a card for the prose around it
CARD_LINK = 0.9  # an element this much link text around a card is the card (with its buttons)
CARD_MIN = 2  # a text about several things has a card for each; one card is a link to another page


def _is_card(a: HtmlElement) -> bool:
    """A link that wraps blocks (a name, a description, a list of facts): a card, not link text."""
    return any(isinstance(d.tag, str) and d.tag in CARD_BLOCKS for d in a.iterdescendants())


def _is_prose_block(st: _Stats) -> bool:
    return st.score > 0 and st.punct > 0 and st.link < 0.5 * st.chars


def _inline_cards(root: HtmlElement, stats: dict[HtmlElement, _Stats]) -> None:
    """Cards set between a text's paragraphs (a shop, a product, a place the text is about: a link
    wrapping its name and facts) are part of the text, not a link list: they score nothing
    instead of their length against it, and count as text. A card among other cards (a related
    list), after the text, or alone (a next-page or related-article card) stays link text."""
    # (a Python walk: over real-zh faster than an XPath asking for any block descendant)
    cards = [a for a in root.iter("a") if _is_card(a) and not any(x.tag == "a" for x in a.iterancestors())]
    if not cards:
        return
    card_set = set(cards)
    inline: dict[HtmlElement, list[HtmlElement]] = {}  # parent -> the cards set between its paragraphs
    for a in cards:
        # the outermost element that is this card and its buttons: all link text, no other card
        unit = a
        while ((up := unit.getparent()) is not None and up.getparent() is not None and up in stats
               and stats[up].link >= CARD_LINK * stats[up].chars
               and sum(1 for x in up.iter("a") if x in card_set) == 1):
            unit = up
        parent, st = unit.getparent(), stats.get(unit)
        if parent is None or st is None or not st.link or st.score >= 0:
            continue
        sides = [islice(unit.itersiblings(preceding=True), CARD_REACH), islice(unit.itersiblings(), CARD_REACH)]
        if all(any(s in stats and _is_prose_block(stats[s]) for s in side) for side in sides):
            inline.setdefault(parent, []).append(unit)
    for units in inline.values():
        if len(units) >= CARD_MIN:
            for unit in units:
                _as_text(unit, stats)


def _as_text(unit: HtmlElement, stats: dict[HtmlElement, _Stats]) -> None:
    """Score `unit` as nothing rather than against its parent, and count its text as text."""
    st = stats[unit]
    delta, link = -st.score, st.link
    for el in unit.iter():
        if el in stats:
            stats[el].link = 0
    st.score = 0.0
    for anc in unit.iterancestors():
        if anc in stats:
            stats[anc].score += delta
            stats[anc].link -= link


def density_bodies(root: HtmlElement | None, thread: bool = False) -> tuple[str, str]:
    """(recall, precision) main content of a parsed page by maximum-scoring subtree.

    recall: the best subtree as it is (keeps a thread's replies); precision: moved down into a
    child holding most of the score (drops comments and related lists beside an article).
    """
    if root is None:
        return "", ""
    body = root.find("body")
    if body is None:
        body = root
    _strip_chrome(body, thread)
    _mark_teasers(body)
    stats = score_tree(body, short_ok=thread)
    best, best_score = None, 0.0
    for el, st in stats.items():
        if st.score > best_score:
            best, best_score = el, st.score
    if best is None:
        return "", ""
    recall = _render(best, stats)
    lead: list[HtmlElement] = []  # prose siblings right before the part we moved into: a lead, a poem, a caption
    while True:
        kids = [c for c in best if c in stats]
        top = max(kids, key=lambda c: stats[c].score, default=None)
        if top is None or stats[top].score < DESCEND * best_score:
            break
        if KEEP_LEAD:
            before: list[HtmlElement] = []
            gap = False
            for sib in reversed(kids[:kids.index(top)]):
                st = stats[sib]
                wanted = st.score > 0 and sib.get("data-chrome") != "1" and (not gap or st.score >= LEAD_JUMP * stats[top].score)
                if wanted and _sentences(_render(sib, stats), ends=LEAD_END):  # rendered only when wanted
                    before.insert(0, sib)
                else:
                    gap = True
            lead.extend(before)
        best, best_score = top, stats[top].score
    text = _render(best, stats)
    if lead:
        text = "\n".join([_render(el, stats) for el in lead] + [text])
    return recall, text


SENTENCE_END = re.compile(r"[。！？!?…”」]$")
CITES = re.compile(r"(\[\d+(-\d+)?\])+$")  # reference marks after a sentence: 。[3] [2][5]


def _sentences(text: str, share: float = 0.6, ends: re.Pattern = SENTENCE_END) -> bool:
    """Whether most of a text is in lines that end a sentence (a lead paragraph, a caption), not
    a title with its dateline."""
    lines = [CITES.sub("", WS.sub("", x)) for x in text.split("\n")]
    total = sum(map(len, lines))
    return bool(total) and sum(len(x) for x in lines if ends.search(x)) >= share * total


def density_body(root: HtmlElement | None) -> str:
    return density_bodies(root)[0]


def _render(best: HtmlElement, stats: dict[HtmlElement, _Stats]) -> str:
    skip: set[HtmlElement] = set()
    for el in best.iter():
        if not isinstance(el.tag, str) or el is best:
            continue
        st = stats.get(el)
        if st is None or el.tag not in BLOCK:
            continue
        chrome = el.get("data-chrome") == "1" and st.score < st.chars * 0.5
        links = st.chars and st.link / st.chars > 0.6 and st.punct <= st.chars * 0.02
        if chrome or links:
            skip.add(el)
    return flatten(best, skip)


def link_density(root: HtmlElement | None) -> tuple[int, int]:
    """(text chars, link chars) of a parsed page's body."""
    body = root.find("body") if root is not None else None
    if body is None:
        return 0, 0
    total = _text_len(body.text_content())
    link = sum(_text_len(a.text_content()) for a in body.iter("a"))
    return total, link


def readability_body(html: str) -> str:
    from readability import Document as Readable
    try:
        summary = Readable(html).summary(html_partial=True)
    except Exception as e:  # noqa: BLE001 - readability raises bare Exceptions on odd pages
        logger.debug("readability failed: %s", e)
        return ""
    root = parse(f"<html><body>{summary}</body></html>")
    return flatten(root.find("body")) if root is not None else ""


def trafilatura_body(html: str, url: str | None, precision: bool = True) -> str:
    """trafilatura's own answer, without its fallbacks (`fast`): the readability-lxml one it would
    compare against is our other second opinion already, and its jusText rescue cost a second of
    stop-word loading in every process and most of its time a page."""
    import trafilatura
    try:
        return trafilatura.extract(html, url=url, fast=True, favor_precision=precision, favor_recall=not precision,
                                   include_comments=False, include_tables=True) or ""
    except Exception as e:  # noqa: BLE001
        logger.debug("trafilatura failed: %s", e)
        return ""


# Our density answer (it knows chrome class names and teaser lists) first: readability and
# trafilatura agree with each other on a footer or a recommended article often enough.
ORDER = ("density_precise", "readability", "density", "trafilatura")
AGREE = 0.7  # bigram F1 at which two extractors are taken to have found the same body


CHROME_SHARE = 0.3  # an answer with this much of its text in elements marked chrome is not trusted


def _chrome_lines(root: HtmlElement | None) -> set[str]:
    """Lines of the outermost elements the body finder marked as chrome (by class/id, tag, teasers)."""
    body = root.find("body") if root is not None else None
    if body is None:
        return set()
    lines: set[str] = set()
    for el in body.iter():
        if isinstance(el.tag, str) and el.get("data-chrome") == "1":
            if any(a.get("data-chrome") == "1" for a in el.iterancestors()):
                continue
            lines.update(WS.sub("", x) for x in flatten(el).split("\n"))
    lines.discard("")
    return lines


def _chrome_share(text: str, chrome: set[str]) -> float:
    """Share of `text` (by characters) in lines that the page shows inside chrome elements."""
    lines = [WS.sub("", x) for x in text.split("\n")]
    total = sum(map(len, lines))
    if not total or not chrome:
        return 0.0
    return sum(len(x) for x in lines if x in chrome) / total


def _outweighs(recall: str, precise: str) -> bool:
    """Whether what the recall answer adds to the precise one is more text than the precise one,
    once chrome lines (metadata, tags, share bars, bylines) are left out: then the precise answer
    is a fragment (a notice under a code-heavy article, one post of a thread) and not the body."""
    from .clean import is_chrome_line
    from .rules import load
    rules = load()
    inside = WS.sub("", precise)
    extra = [x for x in recall.split("\n") if WS.sub("", x) and WS.sub("", x) not in inside]
    added = sum(len(WS.sub("", x)) for x in extra if not is_chrome_line(x.strip(), rules))
    return added > len(inside)


def generic_body(html: str, root: HtmlElement | None, url: str | None = None,
                 thread: bool = False) -> tuple[str, str]:
    """(text, which extractor) for a page of unknown layout.

    A thread (pipelines/extract/thread.py): the density recall answer, which keeps every post.
    An article: the density precise answer when the recall answer agrees with it (it does on most
    pages: the precise one is the recall one less comments and lists). Only when the two disagree,
    or find nothing, are readability-lxml and trafilatura run, as a second opinion (trafilatura only
    when readability does not back the precise answer, which would be taken anyway): their answers
    lose their say when their text lies in elements marked as chrome, then the first answer (in
    the order density-precise, readability, density, trafilatura) that another one agrees with is
    taken, else the density-precise one unless the recall one outweighs it (`_outweighs`).
    """
    recall, precise = density_bodies(root, thread)
    if thread and recall:
        return recall, "density"
    grams = {"density_precise": bigrams(precise), "density": bigrams(recall)}
    if grams["density_precise"] and bigram_f1(grams["density_precise"], grams["density"]) >= AGREE:
        return precise, "density_precise"
    cands = {"density_precise": precise, "density": recall}
    chrome = _chrome_lines(root)

    def second_opinion(name: str, text: str) -> None:
        cands[name] = "" if _chrome_share(text, chrome) > CHROME_SHARE else text
        grams[name] = bigrams(cands[name])

    second_opinion("readability", readability_body(html))
    # the precise answer comes first in ORDER: backed by readability, trafilatura cannot change it
    if grams["density_precise"] and grams["readability"] \
            and bigram_f1(grams["density_precise"], grams["readability"]) >= AGREE:
        return precise, "density_precise"
    second_opinion("trafilatura", trafilatura_body(html, url))
    for name in ORDER:
        if not grams[name]:
            continue
        if any(bigram_f1(grams[name], grams[o]) >= AGREE for o in cands if o != name and grams[o]):
            return cands[name], name
    # nobody agrees: the precise answer, unless it is a fragment of what the recall answer holds
    if recall and (not precise or _outweighs(recall, precise)):
        return recall, "density"
    if precise:
        return precise, "density_precise"
    return next(((v, k) for k, v in cands.items() if v), ("", "density_precise"))

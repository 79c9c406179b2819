"""Per-site boilerplate learned from the pages stored: a line that recurs on many pages of one site
is that site's chrome (a footer, a download prompt worded in a way no rule knows), and is cut from
its documents.

The model lives in corpus.db (tables below, created by the corpus extension `BOILERPLATE`) and is learned
and applied in one place, `Ingestor.store`, which the crawl's writer, `docsites ingest`, `rebuild`
and `merge` all call: a page's documents are counted (`learn`), then cut (`strip`) with the model
as it stands after that page. Extraction itself (worker processes) never sees the model: it runs
ahead of the writer, so the model it would see depends on timing, while the writer's store order
is one order that `rebuild` replays.

What is counted: the short lines (≤ `MAX_LINE` characters) of a page's extracted documents, each
once per page (a document repeating its own line counts one page), by *shape*: whitespace
collapsed and every run of digits folded, so `第 3 页，共 12 页` and `上传于2023年5月1日` match
their siblings on other pages (a line that is little more than a number or a date is not counted:
`MIN_WORDS`).

When a shape is chrome: it is on at least `min_pages` pages of the site and on at least `share_on`
of them; it stays chrome until its share falls below `share_off` (the gap keeps a line that
hovers at the threshold from flipping, and every page holding it from being re-cleaned, page
after page). Documents of a site that share an opening (`各位领导：`, `一、指导思想`) stay whole as
long as fewer than `share_on` of the site's pages hold it.

Early pages: the first pages of a site are stored before the model knows anything. When a shape
becomes chrome, the stored documents holding it are cut again (`Ingestor` re-stores them through
dedup, so signatures, ids and the one-place invariant stay right); when a shape stops being chrome,
the pages holding it are extracted again. So a stored document always reads as if cut with the
model of the site as it is now.

Tables:
  boilerplate_sites  (site, pages)                   pages learned per site
  boilerplate_lines  (site, hash, pages, chrome, shape)  pages holding each shape; `shape` kept for
                                                     the chrome ones, to read in Datasette
  boilerplate_pages  (url, site, hashes)             the shapes a page gave (JSON), so a page fetched
                                                     again is counted once, and the pages holding a
                                                     shape can be found
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

import sqlite_utils

from .. import store
from ..model import Document

DIGITS = re.compile(r"\d+")
SPACES = re.compile(r"\s+")
MAX_LINE = 80  # longer lines are prose, never boilerplate
# A line with fewer word characters than this beside its digits is a document's own number or date
# (`（编号003000）`, `2023年5月1日`): folded, it would look the same on every page of the site.
MIN_WORDS = 4  # letters or Han characters (str.isalpha)
MIN_PAGES = 10
SHARE_ON = 0.7
SHARE_OFF = 0.5
TABLES = ("boilerplate_sites", "boilerplate_lines", "boilerplate_pages")


def shape(line: str) -> str:
    return DIGITS.sub("0", SPACES.sub(" ", line.strip()))


def shape_hash(line: str) -> int:
    return _hash(shape(line))


def _hash(folded: str) -> int:
    digest = hashlib.blake2b(folded.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)  # fits SQLite's INTEGER


def candidates(line: str) -> bool:
    """Is `line` short enough to be chrome, with enough words to be more than a number or a date?"""
    return len(line) <= MAX_LINE and sum(map(str.isalpha, line)) >= MIN_WORDS


def site_key(url: str) -> str | None:
    """The site a page belongs to for the model: its host and port, without `www.` (two loopback
    servers are two sites)."""
    parts = urlsplit(url) if "://" in url else None
    if not parts or not parts.hostname:
        return None
    host = parts.hostname[4:] if parts.hostname.startswith("www.") else parts.hostname
    return f"{host}:{parts.port}" if parts.port else host


def ensure_schema(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS boilerplate_sites (site TEXT PRIMARY KEY, pages INTEGER NOT NULL)")
    db.execute("""CREATE TABLE IF NOT EXISTS boilerplate_lines (site TEXT NOT NULL, hash INTEGER NOT NULL,
                  pages INTEGER NOT NULL, chrome INTEGER NOT NULL DEFAULT 0, shape TEXT,
                  PRIMARY KEY (site, hash))""")
    db.execute("CREATE INDEX IF NOT EXISTS boilerplate_lines_chrome ON boilerplate_lines (site, chrome)")
    db.execute("CREATE TABLE IF NOT EXISTS boilerplate_pages (url TEXT PRIMARY KEY, site TEXT NOT NULL, hashes TEXT)")
    db.execute("CREATE INDEX IF NOT EXISTS boilerplate_pages_site ON boilerplate_pages (site)")


def clear(db: sqlite_utils.Database) -> None:
    """Forget the model (`docsites rebuild` learns it again, page by page, in the stored order)."""
    for table in TABLES:
        db.execute(f"DELETE FROM [{table}]")


@dataclass
class Change:
    """What learning one page changed for its site: shapes that became chrome, and that stopped."""
    site: str
    url: str
    became: set[int] = field(default_factory=set)
    stopped: set[int] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.became or self.stopped)


class SiteBoilerplate:
    def __init__(self, db: sqlite_utils.Database, min_pages: int = MIN_PAGES, share_on: float = SHARE_ON,
                 share_off: float = SHARE_OFF) -> None:
        self.db = db
        self.min_pages, self.share_on, self.share_off = min_pages, share_on, share_off
        ensure_schema(db)
        self._chrome: dict[str, frozenset[int]] = {}  # this process is the corpus's one writer
        self._recent: dict[str, int] = {}

    # -- learning ---------------------------------------------------------------------------------
    def learn(self, url: str, documents: Iterable[Document]) -> Change | None:
        """Count the lines of a page's `documents` (those of a page fetched again replace its old
        ones); returns what changed, or None for a page of no site."""
        site = site_key(url)
        if site is None:
            return None
        shapes = {}  # hash -> shape of the page's short lines
        self._recent = {}  # line -> hash, for `strip` of this page's documents
        for line in {x for d in documents for x in d.text.split("\n")}:
            if candidates(line):
                folded = shape(line)
                h = self._recent[line] = _hash(folded)
                shapes[h] = folded
        hashes = sorted(shapes)
        old = self.db.execute("SELECT hashes FROM boilerplate_pages WHERE url = ?", [url]).fetchone()
        old_hashes = set(json.loads(old[0])) if old else set()
        new_hashes = set(hashes)
        if old is not None and old_hashes == new_hashes:
            return Change(site, url)
        gone, added = old_hashes - new_hashes, new_hashes - old_hashes
        if gone:
            pairs = [(site, h) for h in gone]
            self.db.conn.executemany("UPDATE boilerplate_lines SET pages = pages - 1 WHERE site = ? AND hash = ?", pairs)
            self.db.conn.executemany("DELETE FROM boilerplate_lines WHERE site = ? AND hash = ? AND pages <= 0", pairs)
        if added:
            self.db.conn.executemany(
                "INSERT INTO boilerplate_lines (site, hash, pages) VALUES (?, ?, 1) "
                "ON CONFLICT (site, hash) DO UPDATE SET pages = pages + 1", [(site, h) for h in added])
        if old is None and new_hashes:
            n = self.db.execute("INSERT INTO boilerplate_sites (site, pages) VALUES (?, 1) "
                                "ON CONFLICT (site) DO UPDATE SET pages = pages + 1 RETURNING pages", [site]).fetchone()[0]
        else:
            if old is not None and not new_hashes:
                self.db.execute("UPDATE boilerplate_sites SET pages = pages - 1 WHERE site = ?", [site])
            row = self.db.execute("SELECT pages FROM boilerplate_sites WHERE site = ?", [site]).fetchone()
            n = row[0] if row else 0
        if new_hashes:
            self.db.execute("INSERT OR REPLACE INTO boilerplate_pages (url, site, hashes) VALUES (?, ?, ?)",
                            [url, site, json.dumps(hashes)])
        else:
            self.db.execute("DELETE FROM boilerplate_pages WHERE url = ?", [url])
        return self._decide(site, url, n, added, shapes)

    def _decide(self, site: str, url: str, n: int, touched: set[int], shapes: dict) -> Change:
        change = Change(site, url)
        if touched and n >= self.min_pages:
            marks = ",".join("?" * len(touched))
            change.became = {h for h, in self.db.execute(
                f"SELECT hash FROM boilerplate_lines WHERE site = ? AND chrome = 0 AND pages >= ? AND hash IN ({marks})",
                [site, max(self.min_pages, self.share_on * n), *touched])}
        if self.chrome(site):  # a site without chrome has none to lose
            change.stopped = {h for h, in self.db.execute(
                "SELECT hash FROM boilerplate_lines WHERE site = ? AND chrome = 1 AND pages < ?",
                [site, self.share_off * n])}
        if change.became:
            self.db.conn.executemany("UPDATE boilerplate_lines SET chrome = 1, shape = ? WHERE site = ? AND hash = ?",
                                     [(shapes.get(h), site, h) for h in change.became])
        if change.stopped:
            self.db.conn.executemany("UPDATE boilerplate_lines SET chrome = 0 WHERE site = ? AND hash = ?",
                                     [(site, h) for h in change.stopped])
        if change:
            self._chrome.pop(site, None)
        return change

    def pages_holding(self, change: Change) -> tuple[list[str], list[str]]:
        """Other pages of the site holding a shape that became chrome / that stopped being chrome."""
        became, stopped = [], []
        for url, hashes in self.db.execute("SELECT url, hashes FROM boilerplate_pages WHERE site = ? ORDER BY rowid",
                                           [change.site]):
            if url == change.url:
                continue
            held = set(json.loads(hashes))
            if held & change.stopped:
                stopped.append(url)
            elif held & change.became:
                became.append(url)
        return became, stopped

    # -- applying ---------------------------------------------------------------------------------
    def chrome(self, site: str | None) -> frozenset[int]:
        if site is None:
            return frozenset()
        if site not in self._chrome:
            self._chrome[site] = frozenset(h for h, in self.db.execute(
                "SELECT hash FROM boilerplate_lines WHERE site = ? AND chrome = 1", [site]))
        return self._chrome[site]

    def _line_hash(self, line: str) -> int:
        h = self._recent.get(line)  # the page just learned: hashed already
        return shape_hash(line) if h is None else h

    def strip(self, doc: Document) -> Document:
        """`doc` without the lines its site's model knows as chrome (the same object if none)."""
        chrome = self.chrome(site_key(doc.url))
        if not chrome:
            return doc
        lines = doc.text.split("\n")
        kept = [x for x in lines if not (candidates(x) and self._line_hash(x) in chrome)]
        if len(kept) == len(lines):
            return doc
        from . import quality
        from .rules import load
        text = "\n".join(kept)
        return replace(doc, text=text, quality=quality.signals(text, load()))


# The corpus extension (pipelines.defaults.CORPUS_EXTENSIONS): the model's tables in every corpus.
BOILERPLATE = store.Extension("boilerplate", ensure_schema)

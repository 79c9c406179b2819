"""Incremental crawling: what the corpus already holds decides what to fetch again.

For a request the spider marks as a document page (profile mode) or any page (generic mode), the
latest `pages` row for its URL decides:
  fetched OK within RECRAWL_AFTER days   -> not requested at all (Skipped); a page whose links the
                                            spider follows (`docsites_follow`) is re-read from the
                                            corpus instead and answered with its stored body, so
                                            the links of a run cut short are followed again
  fetched earlier                        -> requested with If-None-Match / If-Modified-Since; a 304
                                            then changes nothing in the corpus
Listings and start pages are always fetched in full (that is where new documents show up); in
generic mode a page that gave no document (nor duplicate) last time counts as a listing. Pages that
failed (5xx, …) are fetched again; a fresh 404/410 is not.
The stored body hash and status go along in `request.meta["docsites_stored_sha1"]` and
`["docsites_stored_status"]`, so the item pipeline can tell an unchanged page and skip it, and keep
a stored document when the site now answers with an error.

Reads go through a read-only sqlite connection of their own (one primary-key lookup per request);
the item pipeline's writer process (crawler/corpuswriter.py) owns all writes.
"""
from __future__ import annotations

import logging
import os
import sqlite3
from datetime import UTC, datetime, timedelta

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.responsetypes import responsetypes

from crawler.exceptions import Skipped
from pipelines import store

logger = logging.getLogger(__name__)

ALWAYS_FETCH = ("listing", "start")


def parse_timestamp(value: str):
    """A stored `fetched_at`: ISO 8601 in UTC, with or without fractional seconds (a WARC-Date may
    have them: `2026-01-05T10:00:00.123456Z`); None when it is not one."""
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class IncrementalMiddleware:
    def __init__(self, db_path: str, recrawl_after_days: float, stats=None):
        self.db_path = db_path
        self.recrawl_after = timedelta(days=recrawl_after_days)
        self.stats = stats
        self.conn = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("DOCSITES_PROCESSING"):
            raise NotConfigured("nothing is stored, so there is nothing to be incremental against")
        mw = cls(s.get("CORPUS_DB"), s.getfloat("RECRAWL_AFTER"), crawler.stats)
        crawler.signals.connect(mw.spider_closed, signal=signals.spider_closed)
        return mw

    def connect(self):
        if self.conn is None and os.path.exists(self.db_path):
            try:
                self.conn = sqlite3.connect(store.readonly_uri(self.db_path), uri=True,
                                            check_same_thread=False)
                self.conn.execute("PRAGMA busy_timeout = 5000")
                self.conn.execute("SELECT 1 FROM pages LIMIT 1")
            except sqlite3.Error as e:
                logger.debug("no incremental lookups: %s", e)
                self.conn = None
        return self.conn

    def lookup(self, url: str):
        conn = self.connect()
        if conn is None:
            return None
        # a page is known under the URL requested, or under the one a redirect led to
        return conn.execute(
            """SELECT url, status, fetched_at, etag, last_modified, sha1 FROM pages
               WHERE url = ? OR final_url = ? ORDER BY fetched_at DESC LIMIT 1""",
            [url, url],
        ).fetchone()

    def held_document(self, url: str) -> bool:
        row = self.conn.execute("SELECT 1 FROM documents WHERE url = ? UNION ALL "
                                "SELECT 1 FROM duplicates WHERE url = ? LIMIT 1", [url, url]).fetchone()
        return row is not None

    def process_request(self, request, spider=None):
        kind = request.meta.get("docsites_kind")
        if kind is None or request.meta.get("docsites_checked"):
            return None  # robots.txt, or a retry/redirect of a request already looked at
        request.meta["docsites_checked"] = True
        try:
            row = self.lookup(request.url)
        except sqlite3.Error as e:  # a busy or missing database must not stop the crawl
            logger.warning("incremental lookup failed for %s: %s", request.url, e)
            return None
        if row is None:
            return None
        url, status, fetched_at, etag, last_modified, sha1 = row
        request.meta["docsites_stored_sha1"] = sha1
        request.meta["docsites_stored_status"] = status
        if kind in ALWAYS_FETCH or status not in (200, 404, 410):
            return None
        if kind == "page" and status == 200 and not self.held_document(url):
            return None  # generic mode: a listing, revisit
        if fetched_at and self.fresh(fetched_at):
            if request.meta.get("docsites_follow") and status == 200:
                stored = self.stored_response(request, url)
                if stored is not None:
                    self.stats.inc_value("incremental/replayed_fresh")
                    return stored
            self.stats.inc_value("incremental/skipped_fresh")
            raise Skipped(f"fetched {fetched_at}, within RECRAWL_AFTER")
        if etag:
            request.headers["If-None-Match"] = etag
        if last_modified:
            request.headers["If-Modified-Since"] = last_modified
        if etag or last_modified:
            self.stats.inc_value("incremental/conditional")
        return None

    def stored_response(self, request, url: str):
        """The stored HTML page of `url` as a response to `request` (marked `docsites_replayed`:
        the spider takes only its links, nothing is stored again), or None."""
        row = self.conn.execute("SELECT final_url, content_type, body FROM pages WHERE url = ?", [url]).fetchone()
        if row is None or not row[2]:
            return None
        final_url, content_type, blob = row
        body = store.decompress(blob)
        headers = {"Content-Type": content_type} if content_type else {}
        cls = responsetypes.from_args(headers=headers, url=final_url or url, body=body)
        if not issubclass(cls, HtmlResponse):
            return None
        request.meta["docsites_replayed"] = True
        return cls(final_url or url, status=200, headers=headers, body=body, request=request, flags=["stored"])

    def fresh(self, fetched_at: str) -> bool:
        when = parse_timestamp(fetched_at)
        return when is not None and datetime.now(UTC) - when < self.recrawl_after

    def spider_closed(self, spider=None):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

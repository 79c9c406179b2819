"""Scrapy item pipeline: every fetched page goes through `pipelines.ingest` into corpus.db,
without blocking the reactor.

Extraction (CPU) runs in worker processes (crawler/extractpool.py); dedup and storage in one
writer process that owns the sqlite connection (crawler/corpuswriter.py). `process_item` awaits
both, so Scrapy's own back-pressure (SCRAPER_SLOT_MAX_ACTIVE_SIZE) stops downloading while pages
wait: memory stays bounded. The workers are started, and warmed up on a sample page, before the
first request, so the first pages don't wait for them. Scrapy waits for items in progress before closing, and the
run's `crawl_runs` row is finished, and the writer drained, on `spider_closed`.

Shortcuts that keep the corpus unchanged: a 304 answer, a body (and status) equal to the stored
one, or an error answer (404, 5xx after retries) or no answer at all for a page stored with status
200, is not processed again (`docsites rebuild` re-runs extraction over stored pages after a rule
change). A request with no answer (`item["error"]`) is stored as such: a `fetch_error` rejection.
A listing page of a site profile is not extracted: the profile says it holds no document, so it
is recorded as `not_a_document`; `page_roles` (crawler/pageroles.py) remembers that for rebuilds.
A profile's document pages are extracted with its hints (`item["hints"]`, pipelines.model.SiteHints).
"""
from __future__ import annotations

import asyncio
import logging
import os

from scrapy import signals
from scrapy.exceptions import NotConfigured

from crawler.corpuswriter import CorpusWriter, WriterError
from crawler.extractpool import ExtractionPool, WorkerDied
from crawler.profiles import LISTING_ROLES
from pipelines.model import Extraction, Page
from pipelines.timelimit import DEFAULT_TIME_BUDGET

logger = logging.getLogger(__name__)


# A small page that takes the main paths through extraction, so a worker loads its modules, the
# rules, OpenCC's dictionaries … before the crawl's first page rather than on it.
WARM_UP_PAGE = Page(
    url="http://warm-up.invalid/doc/1.html", headers={"content-type": "text/html; charset=utf-8"},
    body=("<html><head><title>工作总结</title></head><body><div class='nav'><a href='/'>首页</a></div>"
          "<div class='content'><p>" + "今年以来，我局围绕中心工作，扎实推进各项任务落实。" * 8
          + "</p></div></body></html>").encode("utf-8"))


class CorpusPipeline:
    def __init__(self, db_path: str, keep_languages, min_chars: int, crawler=None,
                 workers: int = 0, batch_size: int = 100, dedup_settings: dict | None = None,
                 batch_wait: float = 0.0, profiles_dir: str | None = None, base_urls: dict | None = None,
                 time_budget: float | None = DEFAULT_TIME_BUDGET, extensions=None):
        self.db_path = db_path
        self.extensions = extensions  # what the writer sets up in the corpus (CORPUS_EXTENSIONS)
        self.time_budget = time_budget  # seconds per page in extraction (EXTRACT_TIME_BUDGET)
        self.profiles = (profiles_dir, base_urls or {})  # the writer re-reads stored pages with them
        self.keep_languages = keep_languages
        self.min_chars = min_chars
        self.crawler = crawler
        # the crawl process and the writer need about one CPU between them at full speed: on 2 cores
        # one worker gave as many pages/s as two, with 130 MiB less memory (docs/benchmarks.md)
        self.workers = workers or max(1, (os.cpu_count() or 2) - 1)
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.dedup_settings = dedup_settings or {}
        self.writer: CorpusWriter | None = None
        self.pool: ExtractionPool | None = None
        self.run_id = None
        self.warned: set = set()
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.getbool("DOCSITES_PROCESSING"):
            # Scrapy logs the reason when it leaves the pipeline out
            raise NotConfigured("DOCSITES_PROCESSING is off: pages are fetched and followed, nothing is stored")
        pipeline = cls(s.get("CORPUS_DB"), s.getlist("KEEP_LANGUAGES"), s.getint("MIN_DOCUMENT_CHARS"), crawler,
                       workers=s.getint("EXTRACT_WORKERS"), time_budget=s.getfloat("EXTRACT_TIME_BUDGET"),
                       batch_size=s.getint("WRITER_BATCH_SIZE"),
                       batch_wait=s.getfloat("WRITER_BATCH_WAIT"),
                       # DEDUP_* settings (DEDUP_NEAR_THRESHOLD, …) over the database's stored ones
                       dedup_settings={k: v for k, v in s.items() if k.startswith("DEDUP_")},
                       profiles_dir=s.get("SITE_PROFILES_DIR"), base_urls=s.getdict("SITE_BASE_URLS"),
                       extensions=s.getlist("CORPUS_EXTENSIONS"))
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    # --- lifecycle ---------------------------------------------------------------------------
    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        self.writer = CorpusWriter(self.db_path, self.keep_languages, self.min_chars, self.batch_size,
                                   self.dedup_settings, self.batch_wait, *self.profiles, extensions=self.extensions)
        self.writer.open()
        self.pool = ExtractionPool(self.workers, warm_up=WARM_UP_PAGE, time_budget=self.time_budget)
        self.pool.wait_ready()
        arguments = dict(getattr(spider, "_crawl_args", {}))
        self.run_id = self.writer.submit("start_run", spider.name, arguments).result()

    def spider_closed(self, spider=None, reason="finished"):
        if self.writer is None:
            return
        stats = dict(self.crawler.stats.get_stats()) if self.crawler else {}
        stats["finish_reason"] = reason
        self.writer.submit("finish_run", self.run_id, reason, stats)
        self.writer.close()
        self.pool.close()
        self.writer = None

    # --- every page --------------------------------------------------------------------------
    def inc(self, key: str) -> None:
        if self.crawler:
            self.crawler.stats.inc_value(key)

    async def process_item(self, item, spider=None):
        if item["status"] == 304:
            self.inc("docsites/not_modified")  # the stored page and its outcome stand as they are
            return item
        page = Page(url=item["url"], final_url=item.get("final_url"), status=item["status"],
                    headers=item.get("headers") or {}, body=item["body"], run_id=self.run_id,
                    error=item.get("error"))
        if item.get("stored_sha1") and item.get("stored_status") == page.status and item["stored_sha1"] == page.sha1:
            self.inc("docsites/unchanged")
            return item
        if item.get("stored_status") == 200 and (page.status >= 400 or page.error is not None):
            # the site took the page down or failed this time: the copy we hold stays in the corpus
            self.inc("docsites/kept_on_error")
            return item
        if page.error is not None or (item.get("site") and item.get("kind") in LISTING_ROLES
                                      and page.status < 400):
            result = Extraction()  # nothing to extract, or the profile's link rules say: a listing
        else:
            result = await self.extract(page, item.get("hints"))
            self.check_family(item, result)
        try:
            outcomes = await asyncio.wrap_future(
                self.writer.submit("store", page, result, item.get("site"), item.get("kind")))
        except WriterError:
            if self.writer is not None and not self.writer.alive and self.crawler and not self.closing:
                # nothing more can be stored: stop fetching instead of fetching for nothing
                self.closing = True
                logger.error("the corpus writer died; closing the spider")
                # kept: the event loop holds tasks only weakly, an unreferenced one can vanish mid-way
                self.closing_task = asyncio.ensure_future(
                    self.crawler.engine.close_spider_async(reason="corpus_writer_died"))
            raise
        for outcome in outcomes:
            self.inc(f"docsites/{outcome.table}")
        return item

    def check_family(self, item, result) -> None:
        """A profile names its sites' chrome family; extraction detects one per page (the profile's
        is used only where the page shows none). Disagreement on a document page means the
        (unverified) profile or the family rules need a look."""
        expected, found = item.get("family"), result.family
        if expected and found and expected != found and item.get("kind") == "document":
            self.inc(f"docsites/family_mismatch/{item.get('site')}")
            if (item.get("site"), found) not in self.warned:
                self.warned.add((item.get("site"), found))
                logger.warning("profile %s says chrome family %s, extraction found %s on %s",
                               item.get("site"), expected, found, item["url"])

    async def extract(self, page: Page, hints=None) -> Extraction:
        for attempt in (1, 2):
            try:
                return await self.pool.run(page, hints)
            except WorkerDied as e:
                # a worker died (out of memory, a crash in a C extension): the pool replaced it; once more
                logger.error("extraction worker died on %s (attempt %d)", page.url, attempt)
                error = e
        return Extraction.failed("extract_error", f"RuntimeError: extraction worker died: {error}")

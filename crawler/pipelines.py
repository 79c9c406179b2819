"""Scrapy item pipeline: every fetched page goes through `pipelines.ingest` into corpus.db."""
from __future__ import annotations

import logging

from pipelines import store
from pipelines.ingest import Ingestor
from pipelines.model import Page

logger = logging.getLogger(__name__)


class CorpusPipeline:
    def __init__(self, db_path: str, keep_languages, min_chars: int, crawler=None):
        self.db_path = db_path
        self.keep_languages = keep_languages
        self.min_chars = min_chars
        self.crawler = crawler
        self.db = None
        self.run_id = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        return cls(s.get("CORPUS_DB"), s.getlist("KEEP_LANGUAGES"), s.getint("MIN_DOCUMENT_CHARS"), crawler)

    def open_spider(self, spider=None):
        self.db = store.open_db(self.db_path)
        self.ingestor = Ingestor(self.db, self.keep_languages, self.min_chars)
        spider = spider or self.crawler.spider
        self.run_id = store.start_run(self.db, spider.name, dict(getattr(spider, "_crawl_args", {})) or {
            k: v for k, v in vars(spider).items() if k in ("start_urls", "max_pages", "sites", "query")})

    def close_spider(self, spider=None):
        stats = self.crawler.stats.get_stats() if self.crawler else {}
        reason = stats.get("finish_reason", "finished")
        store.finish_run(self.db, self.run_id, reason, stats)
        self.db.close()

    def process_item(self, item, spider=None):
        page = Page(url=item["url"], final_url=item.get("final_url"), status=item["status"],
                    headers=item.get("headers") or {}, body=item["body"], run_id=self.run_id)
        for outcome in self.ingestor.ingest(page):
            if self.crawler:
                self.crawler.stats.inc_value(f"docsites/{outcome.table}")
        return item

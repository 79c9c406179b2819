"""Keep a distributed worker open while the shared queue is empty, for a while.

With the Redis scheduler (crawler/distributed.py) an empty queue does not mean the crawl is over:
another worker may be parsing a listing and about to push its links. Scrapy would close the spider
at the first idle moment; this extension refuses (DontCloseSpider) until the worker has had nothing
to do for `MAX_IDLE_TIME_BEFORE_CLOSE` seconds, then lets it close with reason `finished`. Scrapy
polls an idle spider every 5 seconds, so a worker picks new requests up within 5 s and closes
between MAX_IDLE_TIME_BEFORE_CLOSE and MAX_IDLE_TIME_BEFORE_CLOSE + 5 s after its last one.

Enabled by the distributed add-on only; NotConfigured without REDIS_URL.
"""
from __future__ import annotations

import logging
import time

from scrapy import signals
from scrapy.exceptions import DontCloseSpider, NotConfigured

logger = logging.getLogger(__name__)


class IdleClose:
    def __init__(self, max_idle: float, clock=time.monotonic):
        self.max_idle = max_idle
        self.clock = clock
        self.idle_since: float | None = None

    @classmethod
    def from_crawler(cls, crawler):
        s = crawler.settings
        if not s.get("REDIS_URL"):
            raise NotConfigured
        ext = cls(s.getfloat("MAX_IDLE_TIME_BEFORE_CLOSE"))
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        # any scheduled or downloaded request means work arrived: the idle clock restarts
        crawler.signals.connect(ext.busy, signal=signals.request_scheduled)
        crawler.signals.connect(ext.busy, signal=signals.response_received)
        return ext

    def busy(self, *args, **kwargs) -> None:
        self.idle_since = None

    def spider_idle(self, spider=None) -> None:
        now = self.clock()
        if self.idle_since is None:
            self.idle_since = now
        idle = now - self.idle_since
        if idle < self.max_idle:
            raise DontCloseSpider
        logger.info("shared queue empty for %.0f s: closing this worker", idle)

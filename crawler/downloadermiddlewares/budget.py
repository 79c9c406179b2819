"""Per-host page budgets: a trap (pagination that never ends, a calendar, session ids in URLs)
can cost a run at most HOST_PAGE_BUDGET requests per host.

Counted where requests reach the downloader, after the duplicate filter and robots.txt, so the
budget is pages actually requested. A profile's `politeness.page_budget` overrides the setting for
its hosts. Counts live in `spider.state` so a run resumed from JOBDIR keeps its budget.
The spider's `max_pages` argument is a budget for all hosts together, enforced here too.
Depth is Scrapy's DEPTH_LIMIT (DepthMiddleware).
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from crawler.exceptions import Skipped

logger = logging.getLogger(__name__)


class HostBudgetMiddleware:
    def __init__(self, budget: int, crawler):
        self.budget = budget
        self.crawler = crawler
        self.warned: set[str] = set()
        self._counts: dict[str, int] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("HOST_PAGE_BUDGET"), crawler)

    def counts(self, spider) -> dict[str, int]:
        state = getattr(spider, "state", None)
        if isinstance(state, dict):
            return state.setdefault("host_pages", self._counts)
        return self._counts

    def process_request(self, request, spider=None):
        if request.meta.get("docsites_kind") is None or request.meta.get("docsites_budgeted"):
            return None
        spider = spider or self.crawler.spider
        host = urlsplit(request.url).netloc.lower()
        budget = request.meta.get("docsites_page_budget") or self.budget
        max_pages = getattr(spider, "max_pages", 0)
        refused = self.take(spider, request, host, budget, max_pages)
        if refused == "max_pages":
            self.crawler.stats.inc_value("budget/max_pages_exceeded")
            raise Skipped(f"max_pages={max_pages} reached")
        if refused == "host":
            self.crawler.stats.inc_value("budget/host_pages_exceeded")
            if host not in self.warned:
                self.warned.add(host)
                logger.warning("%s: page budget of %d reached; further pages of this host are skipped", host, budget)
            raise Skipped(f"{host}: page budget {budget} reached")
        request.meta["docsites_budgeted"] = True
        return None

    def take(self, spider, request, host: str, budget: int, max_pages: int) -> str | None:
        """Count `request` against the budgets; "max_pages" or "host" if one is spent (nothing counted).
        The distributed mode counts in Redis instead, for all workers (crawler/distributed.py)."""
        counts = self.counts(spider)
        if max_pages and counts.get("*", 0) >= max_pages:
            return "max_pages"
        if budget > 0 and counts.get(host, 0) >= budget:
            return "host"
        counts[host] = counts.get(host, 0) + 1
        counts["*"] = counts.get("*", 0) + 1
        return None

"""Scrapy's RedirectMiddleware, with every redirect ending somewhere on record.

Scrapy follows a redirect to any port of an allowed host (its offsite check compares host names
only) and stores the answer under the first URL; drops a redirect whose target was fetched before
(the duplicate filter), so the redirecting URL leaves no row; and a redirect loop ends the same
way. Here a redirect is followed only

- to a URL the crawler may fetch (crawler/addresses.py: http(s), no non-public literal address),
- on an origin the spider crawls (`spider.outside(url)`: host *and* port), and
- to a URL not already in its own chain (a loop), nor fetched earlier in this crawl (the duplicate
  filter would drop it silently);

and credentials in its Location are dropped. A refused redirect raises `Refused`, which the spider
records as a `fetch_error` rejection of the first URL with the reason (`/go/3`: "redirect to
…/doc/3.html, fetched in this crawl"); so does "max redirections reached" (REDIRECT_MAX_TIMES).
A followed one is stored under the first URL, with the target as its `final_url`.
"""
from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.redirect import RedirectMiddleware as ScrapyRedirectMiddleware

from crawler.addresses import AddressPolicy
from crawler.exceptions import Refused
from crawler.urls import strip_credentials

logger = logging.getLogger(__name__)


class RedirectMiddleware(ScrapyRedirectMiddleware):
    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        mw.policy = AddressPolicy.from_settings(crawler.settings)
        return mw

    def _redirect(self, redirected, request, reason):
        url = strip_credentials(redirected.url)
        if url != redirected.url:
            redirected = redirected.replace(url=url)
        chain = [*request.meta.get("redirect_urls", []), request.url]
        why = None
        if url in chain:
            why = "redirect loop: " + " -> ".join(chain[chain.index(url):] + [url])
        else:
            why = self.policy.url_refusal(url)
            spider = self.crawler.spider
            if why is None and getattr(spider, "outside", None) and spider.outside(url):
                why = f"redirect to {url}: not on a host and port this crawl visits"
            elif why is not None:
                why = f"redirect to {url}: {why}"
        if why is None and self.seen(redirected):
            why = f"redirect to {url}, fetched in this crawl"
        if why:
            self.crawler.stats.inc_value("redirect/refused")
            raise Refused(why)
        return super()._redirect(redirected, request, reason)

    def seen(self, request) -> bool:
        """Whether the duplicate filter would drop `request`, asked without adding it (Scrapy's
        RFPDupeFilter; a filter that cannot be asked so, scrapy-redis's, keeps dropping it)."""
        if request.dont_filter:
            return False
        try:
            engine = self.crawler.engine
        except (AttributeError, RuntimeError):  # no engine yet
            return False
        # Scrapy 2.19 keeps the scheduler on the engine, 2.16 on the engine's slot
        scheduler = getattr(engine, "scheduler", None) or getattr(getattr(engine, "_slot", None), "scheduler", None)
        df = getattr(scheduler, "df", None)
        # Newer Scrapy (2.19) keeps bytes in a private set; 2.16 hex strings in a public one. Neither
        # has a read-only way to ask, and request_seen() would add the URL.
        fingerprints = getattr(df, "_fingerprints", None)
        if isinstance(fingerprints, set) and hasattr(df, "_fingerprint"):
            return df._fingerprint(request) in fingerprints  # noqa: SLF001
        fingerprints = vars(df).get("fingerprints") if df is not None else None
        if isinstance(fingerprints, set) and hasattr(df, "request_fingerprint"):
            return df.request_fingerprint(request) in fingerprints
        return False

"""The docsites Scrapy add-on: every default of the crawl, and its components, in one place.

`crawler/settings.py` only lists this add-on (`ADDONS`), so the crawl behaves the same under any
settings module — `scrapy crawl docsites` in this project, a `CrawlerProcess` with settings of its
own, a Scrapyd project:

    process = CrawlerProcess({"ADDONS": {"crawler.addon.Docsites": 0}, "CORPUS_DB": "out.db"})
    process.crawl("docsites", start_urls="https://example.org/")   # or the spider class

Defaults are set at the `addon` priority, so project settings, a spider's `custom_settings` and
`-s NAME=VALUE` all override them. Components are added to the component dictionaries
(DOWNLOADER_MIDDLEWARES, …) unless the settings name them already, with any priority (None
switches one off). The distributed add-on (crawler/distributed.py) is applied last; it switches
itself off without REDIS_URL. Every setting is described in docs/crawling.md.
"""
from __future__ import annotations

import contextlib
import logging

from scrapy.exceptions import NotConfigured

from pipelines import defaults
from pipelines.timelimit import DEFAULT_TIME_BUDGET

logger = logging.getLogger(__name__)

# What the crawl's writer sets up in the corpus beside the core tables (import paths of
# pipelines.store.Extension records): the pipelines' parts and the crawl's page roles, which
# `docsites rebuild`/`merge` read (the `docsites` command names the same: docsites/cli.py).
CORPUS_EXTENSIONS = (*defaults.CORPUS_EXTENSIONS, "crawler.pageroles.PAGE_ROLES")

CONTACT = "https://github.com/docsites/docsites"   # set to a URL or mail address site owners can reach

SETTINGS = {
    # --- the corpus ---------------------------------------------------------------------------
    "CORPUS_DB": defaults.CORPUS_DB,
    "KEEP_LANGUAGES": list(defaults.KEEP_LANGUAGES),
    "MIN_DOCUMENT_CHARS": defaults.MIN_DOCUMENT_CHARS,
    "CORPUS_EXTENSIONS": list(CORPUS_EXTENSIONS),   # the corpus's parts beside the core tables
    # Dedup thresholds default to pipelines.dedup.DedupConfig (or what `docsites dedup --rebuild`
    # stored in the database); override any field as DEDUP_<FIELD>, e.g. DEDUP_NEAR_THRESHOLD = 0.6.
    "DOCSITES_PROCESSING": True,     # False: fetch and follow links only, store nothing (benchmark baseline)
    "EXTRACT_WORKERS": 0,            # extraction processes; 0 = one per CPU but one (the crawl's and writer's)
    "EXTRACT_TIME_BUDGET": DEFAULT_TIME_BUDGET,   # seconds per page; a page past it is rejected as extract_timeout (0: none)
    "WRITER_BATCH_SIZE": 100,        # at most this many pages per sqlite transaction in the writer process
    "WRITER_BATCH_WAIT": 0.05,       # seconds the writer waits for more pages before it commits a batch
    # a response yields one page item plus links; Scrapy starts this many asyncio workers per
    # response, and 100 (its default) cost more than they do
    "CONCURRENT_ITEMS": 8,
    "WARC_DIR": None,                # also write every response to WARC files in this folder
    "WARC_MAX_BYTES": 1024 ** 3,     # start a new WARC file after this many (compressed) bytes
    "WARC_KEEP_COOKIES": False,      # False: Set-Cookie / Cookie headers are left out of WARC records
    "WARC_QUEUE_SIZE": 64,           # responses waiting for the WARC thread; a full queue holds the crawl
    # --- site profiles ------------------------------------------------------------------------
    "SITE_PROFILES_DIR": None,       # folder of *.yaml profiles; None = crawler/sites
    "SITE_BASE_URLS": {},            # profile name -> base URL serving it (loopback tests, mirrors)
    # --- incremental crawling -----------------------------------------------------------------
    # days: document pages fetched more recently are not requested again; older ones get a
    # conditional request (If-None-Match / If-Modified-Since)
    "RECRAWL_AFTER": 30,
    # --- distributed crawls (crawler/distributed.py) ------------------------------------------
    "REDIS_URL": None,               # e.g. redis://10.0.0.5:6379/0: workers share one queue and seen-set
    "DISTRIBUTED_JOB": "docsites",   # names the Redis keys; one per crawl (a finished job fetches nothing again)
    "MAX_IDLE_TIME_BEFORE_CLOSE": 30,  # seconds a worker waits on an empty shared queue before it closes
    "DISTRIBUTED_LEASE_TIMEOUT": 60,   # seconds without heartbeat before a worker's requests in flight go back
    # --- what the crawler may touch (crawler/addresses.py) ------------------------------------
    # Only http(s), and only public addresses: private, loopback, link-local, unique-local …
    # addresses and names resolving to them are refused, except these addresses or networks
    # (CIDR), e.g. ["127.0.0.1"] for a test site on loopback or ["10.1.0.0/16"] for a local mirror.
    "ALLOWED_ADDRESSES": [],
    "TWISTED_DNS_RESOLVER": "crawler.resolver.GuardedResolver",   # checks resolved addresses at connect time
    # --- politeness ---------------------------------------------------------------------------
    "CONTACT": CONTACT,
    "USER_AGENT": f"docsites/0.1 (+{CONTACT}; research corpus crawler)",
    "ROBOTSTXT_OBEY": True,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
    "DOWNLOAD_DELAY": 0.25,
    "AUTOTHROTTLE_ENABLED": True,
    "AUTOTHROTTLE_START_DELAY": 1.0,
    "AUTOTHROTTLE_MAX_DELAY": 30.0,
    "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0,
    "DOWNLOAD_TIMEOUT": 30,
    "DOWNLOAD_MAXSIZE": 20 * 1024 * 1024,
    "DOWNLOAD_WARNSIZE": 5 * 1024 * 1024,
    "RETRY_TIMES": 3,
    "RETRY_BACKOFF_BASE": 2.0,       # seconds; the n-th retry of a host waits base * 2**(n-1) …
    "RETRY_BACKOFF_MAX": 120.0,      # … at most this long
    "RETRY_AFTER_MAX": 600.0,        # a Retry-After longer than this: give up on the page for this run
    "COOKIES_ENABLED": False,
    # --- traps --------------------------------------------------------------------------------
    "DEPTH_LIMIT": 30,               # link hops from a start URL (endless pagination, calendars)
    "HOST_PAGE_BUDGET": 20000,       # requests per host per run (a profile's politeness.page_budget overrides)
    "URL_DROP_PARAMS": None,         # query parameters dropped from URLs; None = crawler.urls.DEFAULT_DROP_PARAMS
    "FEED_EXPORT_ENCODING": "utf-8",
}

COMPONENTS = {
    # only http(s): the other schemes could reach files or hosts the address guard never sees
    "DOWNLOAD_HANDLERS": {"file": None, "ftp": None, "s3": None, "data": None},
    "DOWNLOADER_MIDDLEWARES": {
        # first: nothing, robots.txt included, is fetched from where the crawler may not go
        "crawler.downloadermiddlewares.addresses.AddressGuardMiddleware": 10,
        "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
        "crawler.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
        "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
        "crawler.downloadermiddlewares.redirect.RedirectMiddleware": 600,
        "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
        "crawler.downloadermiddlewares.retry_after.RetryAfterMiddleware": 550,
        # after robots.txt (100): a skipped page costs no budget, a disallowed one neither
        "crawler.downloadermiddlewares.incremental.IncrementalMiddleware": 110,
        "crawler.downloadermiddlewares.budget.HostBudgetMiddleware": 120,
    },
    "EXTENSIONS": {"crawler.extensions.warc.WarcWriter": 500},
    "ITEM_PIPELINES": {"crawler.pipelines.CorpusPipeline": 300},
}


class Docsites:
    """Scrapy add-on: the docsites defaults at `addon` priority, and its components."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def update_settings(self, settings) -> None:
        for name, value in SETTINGS.items():
            settings.set(name, value, "addon")
        for name, components in COMPONENTS.items():
            # what the settings name already wins, whatever its priority (None switches one off)
            merged = {**components, **settings.getdict(name)}
            settings.set(name, merged, settings.getpriority(name) or 0)
        from crawler.distributed import Distributed
        with contextlib.suppress(NotConfigured):
            Distributed().update_settings(settings)

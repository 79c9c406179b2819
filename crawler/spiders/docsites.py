"""`scrapy crawl docsites`: fetch document pages and hand every response to the corpus pipeline.

Profile mode (default; `-a sites=a,b`, all profiles when omitted): start from each profile's
listing pages and follow only the links its rules call listings (pagination, categories) or
document pages. With `-a query=…` start from its search URL instead and follow only the search
results' own pages and the document pages they list.

Generic mode (`-a start_urls=URL,URL`): no profile needed — stay on the start hosts, follow every
link, and let the extraction result decide whether a page holds a document.

`-a max_pages=N`: at most N pages are requested (HostBudgetMiddleware) and the spider closes
with finish reason `max_pages` once they are handled.

Nothing is crawled by accident: an unknown argument (`-a start_url=…`), a start URL that is not
http(s), a `max_pages` that is not a number, or no `start_urls` and no `sites` is an
`ArgumentError` before anything is requested (`scrapy crawl` prints it on one line and exits 2,
crawler/commands/crawl.py); every profile is `-a sites=all`. Only http(s) links are followed.
"""
from __future__ import annotations

import difflib
import logging
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor

from crawler import profiles as profiles_mod
from crawler.addresses import FETCHABLE_SCHEMES, origin
from crawler.exceptions import Skipped
from crawler.items import PageItem
from crawler.urls import DEFAULT_DROP_PARAMS, Canonicalizer, strip_credentials

logger = logging.getLogger(__name__)

# Document pages first: a run cut short by a budget or max_pages has stored documents, not
# only listings.
PRIORITY = {"document": 20, "page": 0, "listing": 0, "start": 0}
ARGUMENTS = ("start_urls", "sites", "query", "max_pages")


class ArgumentError(ValueError):
    """A spider argument that would crawl something other than what was meant."""


def check_arguments(kwargs: dict) -> dict:
    """The spider's arguments, checked: unknown names, start URLs that are not http(s) URLs, a
    max_pages that is not a count, or nothing to crawl raise ArgumentError. Names starting with
    `_` are the scheduler's (Scrapyd's `_job`) and pass."""
    unknown = [k for k in kwargs if k not in ARGUMENTS and not k.startswith("_")]
    if unknown:
        close = difflib.get_close_matches(unknown[0], ARGUMENTS, n=1)
        hint = f" (did you mean -a {close[0]}=…?)" if close else ""
        raise ArgumentError(f"unknown argument -a {unknown[0]}=…{hint}; known: {', '.join(ARGUMENTS)}")
    start_urls = kwargs.get("start_urls") or ""
    urls = [u.strip() for u in start_urls.split(",") if u.strip()] if isinstance(start_urls, str) \
        else [str(u).strip() for u in start_urls]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme.lower() not in FETCHABLE_SCHEMES or not parts.hostname:
            raise ArgumentError(f"start URL {strip_credentials(url)!r} is not an http(s) URL "
                                f"(write it as http://… or https://…)")
    max_pages = kwargs.get("max_pages") or 0
    try:
        max_pages = int(max_pages)
    except (TypeError, ValueError):
        raise ArgumentError(f"-a max_pages={max_pages!r}: not a whole number") from None
    if max_pages < 0:
        raise ArgumentError(f"-a max_pages={max_pages}: must be 0 (no limit) or more")
    sites = kwargs.get("sites") or ""
    if isinstance(sites, (list, tuple)):
        sites = ",".join(sites)
    if not urls and not sites.strip():
        raise ArgumentError("nothing to crawl: pass -a start_urls=URL[,URL], -a sites=NAME[,NAME], "
                            "or -a sites=all for every site profile")
    return {"start_urls": urls, "sites": sites.strip(), "query": (kwargs.get("query") or "").strip(),
            "max_pages": max_pages}


class DocsitesSpider(scrapy.Spider):
    name = "docsites"
    # Every response reaches parse(): an error page is accounted for as a rejection, not dropped.
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, *args, **kwargs):
        checked = check_arguments(kwargs)
        super().__init__(*args, **{k: v for k, v in kwargs.items() if k not in ARGUMENTS})
        self.generic_urls = checked["start_urls"]
        self.sites_arg = checked["sites"]
        self.query = checked["query"]
        self.max_pages = checked["max_pages"]
        self.links = LinkExtractor(deny_extensions=None)
        self.profiles: list[profiles_mod.SiteProfile] = []
        self.canonical = Canonicalizer()
        self.generic_origins: set = set()
        self._crawl_args = {k: v for k, v in (("start_urls", [strip_credentials(u) for u in self.generic_urls]),
                                              ("sites", self.sites_arg), ("query", self.query),
                                              ("max_pages", self.max_pages)) if v}

    @classmethod
    def check_arguments(cls, kwargs: dict, settings) -> None:
        """Everything about the arguments that can be wrong, before a crawler exists: raises
        ArgumentError or ProfileError (an unknown profile name)."""
        checked = check_arguments(kwargs)
        if checked["sites"]:
            profiles_mod.select(profiles_mod.load_profiles(settings.get("SITE_PROFILES_DIR"),
                                                           settings.getdict("SITE_BASE_URLS")), checked["sites"])

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        return spider

    def configure(self, settings):
        """Load the profiles (profile mode) and apply their politeness overrides to the downloader."""
        contact = settings.get("CONTACT")
        if contact and contact not in (settings.get("USER_AGENT") or "") and not settings.frozen \
                and settings.getpriority("USER_AGENT") <= settings.getpriority("CONTACT"):
            # -s CONTACT=… alone: the default User-Agent follows it, site owners see who to ask
            settings.set("USER_AGENT", f"docsites/0.1 (+{contact}; research corpus crawler)",
                         priority=settings.getpriority("CONTACT"))
        drop = settings.getlist("URL_DROP_PARAMS") or DEFAULT_DROP_PARAMS
        self.canonical = Canonicalizer(drop)
        self.generic_urls = [self.canonical(u) for u in self.generic_urls]
        self.start_urls = list(self.generic_urls)
        self.generic_origins = {origin(u) for u in self.generic_urls}
        if self.generic_urls and not self.sites_arg:
            self.allowed_domains = sorted({urlsplit(u).hostname for u in self.generic_urls if urlsplit(u).hostname})
            return
        loaded = profiles_mod.load_profiles(settings.get("SITE_PROFILES_DIR"), settings.getdict("SITE_BASE_URLS"))
        self.profiles = profiles_mod.select(loaded, self.sites_arg)
        self.allowed_domains = sorted({d for p in self.profiles for d in p.allowed_domains}
                                      | {urlsplit(u).hostname for u in self.generic_urls})
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for p in self.profiles:
            slot = {}
            if "download_delay" in p.politeness:
                slot["delay"] = float(p.politeness["download_delay"])
            if "concurrency" in p.politeness:
                slot["concurrency"] = int(p.politeness["concurrency"])
            for host in p.hosts if slot else ():
                slots.setdefault(host, slot)
        if slots and not settings.frozen:
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    # --- start -------------------------------------------------------------------------------
    async def start(self):
        for url in self.generic_urls:
            yield self.request(url, "start", None)
        for p in self.profiles:
            urls = p.search_urls(self.query) if self.query else p.start_urls
            if self.query and not urls:
                logger.warning("profile %s has no search_url; starting from its listings", p.name)
                urls = p.start_urls
            for url in urls:
                yield self.request(self.canonical(url), "start", p)

    def request(self, url: str, kind: str, profile) -> scrapy.Request:
        meta = {"docsites_kind": kind}
        if profile is None or kind != "document" or profile.politeness.get("follow_from_documents"):
            # its links are followed: a fresh copy in the corpus is re-read for them (IncrementalMiddleware)
            meta["docsites_follow"] = True
        if profile is not None:
            meta["docsites_site"] = profile.name
            if profile.politeness.get("page_budget"):
                meta["docsites_page_budget"] = int(profile.politeness["page_budget"])
        return scrapy.Request(url, callback=self.parse, errback=self.fetch_failed, meta=meta,
                              priority=PRIORITY[kind])

    # --- every response ----------------------------------------------------------------------
    def pages_seen(self) -> int:
        state = getattr(self, "state", None)
        return state.get("pages_seen", 0) if isinstance(state, dict) else getattr(self, "_pages_seen", 0)

    def count_page(self) -> int:
        n = self.pages_seen() + 1
        state = getattr(self, "state", None)
        if isinstance(state, dict):
            state["pages_seen"] = n
        else:
            self._pages_seen = n
        return n

    def profile_of(self, request_or_response):
        name = request_or_response.meta.get("docsites_site")
        return next((p for p in self.profiles if p.name == name), None)

    def page_item(self, request, **fields) -> PageItem:
        """The item for a request's answer: what the profile says about it, and `fields`."""
        profile = self.profile_of(request)
        return PageItem(
            url=self.canonical(request.meta.get("redirect_urls", [request.url])[0]),
            site=profile.name if profile else None,
            kind=request.meta.get("docsites_kind", "page"),
            family=profile.chrome_family if profile else None,
            hints=profile.hints if profile else None,
            stored_sha1=request.meta.get("docsites_stored_sha1"),
            stored_status=request.meta.get("docsites_stored_status"),
            **fields,
        )

    def fetch_failed(self, failure):
        """A request that got no response after its retries (timeout, refused connection, DNS, a body
        over DOWNLOAD_MAXSIZE, also once decompressed), or whose answer led nowhere it may go (a
        refused address, a redirect loop or off the crawl's origins), is accounted for too: a
        `fetch_error` rejection with the reason, asked again next run. Requests left out on purpose
        (`Skipped`: robots.txt, RECRAWL_AFTER, budgets) are not failures."""
        if failure.check(Skipped):
            return
        n = self.count_page()
        request = failure.request
        message = failure.getErrorMessage()
        reason = f"{failure.type.__name__}: {message}" if message else failure.type.__name__
        yield self.page_item(request, final_url=request.url, status=0, headers={}, body=b"", error=reason)
        if self.max_pages and n >= self.max_pages:
            raise CloseSpider("max_pages")

    def parse(self, response):
        if response.meta.get("docsites_replayed"):
            # a fresh page the corpus holds, re-read for its links (a run cut short left them unfetched)
            yield from self.follow(response, self.profile_of(response))
            return
        n = self.count_page()
        profile = self.profile_of(response)
        item = self.page_item(
            response.request,
            final_url=response.url,
            status=response.status,
            headers={k.decode("latin-1").lower(): v[0].decode("latin-1")
                     for k, v in response.headers.items() if v},
            body=response.body,
        )
        yield item
        if self.max_pages and n >= self.max_pages:
            # HostBudgetMiddleware let no more than max_pages requests out, so nothing is cut off
            raise CloseSpider("max_pages")
        if response.status != 200 or not isinstance(response, HtmlResponse):
            return
        if response.meta.get("docsites_follow"):
            yield from self.follow(response, profile)

    def follow(self, response, profile):
        if not isinstance(response, HtmlResponse):
            return
        if profile is None:
            yield from self.follow_generic(response)
        else:
            yield from self.follow_profile(response, profile)

    def links_of(self, response):
        """Canonical http(s) links of a page: a `file://`, `ftp://` … link is never followed."""
        for link in self.links.extract_links(response):
            if urlsplit(link.url).scheme.lower() in FETCHABLE_SCHEMES:
                yield self.canonical(link.url)

    def outside(self, url: str) -> bool:
        """Whether `url` is off this crawl's sites: generic mode stays on the start URLs' hosts
        *and* ports (http and https on the default ports count as one), profile mode on what the
        profiles own (a rebased profile: its exact host:port; otherwise its domains on the default
        port). Redirects are held to the same rule (crawler/downloadermiddlewares/redirect.py)."""
        if urlsplit(url).scheme.lower() not in FETCHABLE_SCHEMES:
            return True
        if origin(url) in self.generic_origins:
            return False
        return not any(p.owns(url) and (p.netlocs or origin(url)[1] is None) for p in self.profiles)

    def follow_generic(self, response):
        for url in self.links_of(response):
            if origin(url) in self.generic_origins:
                yield self.request(url, "page", None)

    def follow_profile(self, response, profile):
        # a search crawl stays on the search results (and their pages), not the whole site
        search_path = urlsplit(profile.search_url).path if self.query and profile.search_url else None
        for url in self.links_of(response):
            kind = profile.classify(url)
            if kind == "listing" and search_path and urlsplit(url).path != search_path:
                continue
            if kind is not None:
                yield self.request(url, kind, profile)

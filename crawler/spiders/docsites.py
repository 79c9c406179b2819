"""`scrapy crawl docsites`: fetch document pages and hand every response to the corpus pipeline.

Generic mode (`-a start_urls=URL,URL`): stay on the start hosts, follow links, and let the
extraction result decide whether a page holds a document.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

import scrapy
from scrapy.linkextractors import LinkExtractor

from crawler.items import PageItem

logger = logging.getLogger(__name__)


class DocsitesSpider(scrapy.Spider):
    name = "docsites"
    # Every response reaches parse(): an error page is accounted for as a rejection, not dropped.
    custom_settings = {"HTTPERROR_ALLOW_ALL": True}

    def __init__(self, start_urls: str = "", max_pages: str | int = 0, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.start_urls = [u.strip() for u in start_urls.split(",") if u.strip()]
        self.max_pages = int(max_pages or 0)
        self.allowed_domains = sorted({urlsplit(u).hostname for u in self.start_urls if urlsplit(u).hostname})
        self.links = LinkExtractor(deny_extensions=None)
        self.pages_seen = 0

    async def start(self):
        if not self.start_urls:
            raise ValueError("nothing to crawl: pass -a start_urls=URL[,URL]")
        for url in self.start_urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        self.pages_seen += 1
        yield PageItem(
            url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=response.url,
            status=response.status,
            headers={k.decode("latin-1").lower(): v[0].decode("latin-1")
                     for k, v in response.headers.items() if v},
            body=response.body,
        )
        if self.max_pages and self.pages_seen >= self.max_pages:
            return
        if response.status == 200 and isinstance(response, scrapy.http.HtmlResponse):
            for link in self.links.extract_links(response):
                # LinkExtractor(allow_domains=…) compares host:port, so filter on the host here.
                if urlsplit(link.url).hostname in self.allowed_domains:
                    yield scrapy.Request(link.url, callback=self.parse)

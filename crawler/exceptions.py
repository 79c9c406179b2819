"""Why a request is not sent: left out on purpose, or refused.

Both are IgnoreRequest, so Scrapy drops them quietly; the spider's errback tells them apart.
A `Skipped` request (robots.txt, RECRAWL_AFTER, a page budget) is the crawl working as meant and
leaves no row. Any other IgnoreRequest — a `Refused` redirect or address, a redirect loop, a
response whose decompressed body passes DOWNLOAD_MAXSIZE — is about a page the crawl did try, so
it is recorded as a `fetch_error` rejection with the reason.
"""
from scrapy.exceptions import IgnoreRequest


class Skipped(IgnoreRequest):
    """Not requested on purpose; nothing to record."""


class Refused(IgnoreRequest):
    """Not requested because the crawler may not go there (crawler/addresses.py) or a redirect
    leads nowhere it may go; recorded with the reason."""

"""Scrapy's RobotsTxtMiddleware, with robots.txt's rules handed to every request that waited for it.

Scrapy 2.19 keeps one Deferred per host while robots.txt is being fetched and has every waiting
request await it through `maybe_deferred_to_future()`, i.e. `Deferred.asFuture()`. asFuture's
callback sets the future and returns None, which becomes the Deferred's result: the first waiter
gets the parsed rules, every later one None — "no robots.txt", everything allowed. With several
start URLs on one host, or a JOBDIR-resumed crawl whose queue holds many requests of a host, pages
robots.txt disallows were fetched. Here each waiter gets a Deferred of its own, fed from the
host's without changing its result. (Reported upstream: see docs/crawling.md, "robots.txt".)

A disallowed request is `Skipped` (crawler/exceptions.py): left out on purpose, no row.
"""
from __future__ import annotations

import logging

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from crawler.exceptions import Skipped

logger = logging.getLogger(__name__)


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    async def robot_parser(self, request):
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if not isinstance(parser, Deferred):
            return await super().robot_parser(request)
        # a fetch of this host's robots.txt is under way: wait on a Deferred of our own
        mine: Deferred = Deferred()

        def hand_on(result):
            mine.callback(result)
            return result  # the host's Deferred keeps its result for the next waiter
        parser.addBoth(hand_on)
        return await maybe_deferred_to_future(mine)

    def process_request_2(self, rp, request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as e:
            raise Skipped(str(e)) from None

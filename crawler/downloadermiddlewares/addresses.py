"""Refuse, before it is sent, every request the crawler may not make (crawler/addresses.py):
a scheme other than http(s), or an address — literal, or what the host name resolves to — that is
not public and not in ALLOWED_ADDRESSES. The name is resolved through the reactor's resolver
(crawler/resolver.py, cached), which checks it again when the connection is made; redirects are
checked before they are followed (crawler/downloadermiddlewares/redirect.py).

First among the downloader middlewares, so neither robots.txt nor anything else is fetched from a
refused address. A refused request raises `Refused`; the spider records it as a `fetch_error`
rejection with the reason.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.utils.defer import maybe_deferred_to_future

from crawler.addresses import AddressPolicy, literal_address
from crawler.exceptions import Refused
from crawler.resolver import RefusedAddress

logger = logging.getLogger(__name__)


def reactor_resolve(name: str):
    from twisted.internet import reactor
    return reactor.resolve(name)


class AddressGuardMiddleware:
    def __init__(self, policy: AddressPolicy, stats=None, resolve=reactor_resolve):
        self.policy = policy
        self.stats = stats
        self.resolve = resolve  # name -> Deferred of its address

    @classmethod
    def from_crawler(cls, crawler):
        return cls(AddressPolicy.from_settings(crawler.settings), crawler.stats)

    async def process_request(self, request, spider=None):
        why = self.policy.url_refusal(request.url)
        host = urlsplit(request.url).hostname
        if why is None and host and not literal_address(host):
            why = await self.name_refusal(host)
        if why:
            if self.stats is not None:
                self.stats.inc_value("addresses/refused")
            logger.warning("refused %s: %s", request.url, why)
            raise Refused(why)
        return None

    async def name_refusal(self, name: str) -> str | None:
        try:
            address = await maybe_deferred_to_future(self.resolve(name))
        except RefusedAddress as e:
            return str(e)
        except Exception:  # noqa: BLE001 - an unknown name fails in the download handler, retried there
            return None
        why = self.policy.address_refusal(address)  # also when another resolver is installed
        return f"refused {name}: {why}" if why else None

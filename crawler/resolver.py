"""TWISTED_DNS_RESOLVER: Scrapy's caching resolver, refusing names that resolve to addresses the
crawler may not touch (crawler/addresses.py).

Every connection Scrapy's HTTP handler opens gets its address from the reactor's resolver, so the
check here sees the very address the connection will use: a name that resolved to a public address
a minute ago and resolves to 10.0.0.5 now (DNS rebinding) is refused at connect time. A refused
name fails the lookup with RefusedAddress (a DNSLookupError) saying why. Twisted's connection
code turns any failed lookup into "no results for hostname lookup", so AddressGuardMiddleware
also resolves each request's host before it is sent, through this resolver, and refuses it with
the reason: the check at request time gives the reason, the one at connect time the guarantee.
"""
from __future__ import annotations

import logging

from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from crawler.addresses import AddressPolicy

logger = logging.getLogger(__name__)


class RefusedAddress(DNSLookupError):
    """A name resolved to an address the crawler may not touch."""


class GuardedResolver(CachingThreadedResolver):
    def __init__(self, reactor, cache_size: int, timeout: float, policy: AddressPolicy | None = None):
        super().__init__(reactor, cache_size, timeout)
        self.policy = policy or AddressPolicy()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = AddressPolicy.from_settings(crawler.settings)
        return resolver

    def lookup(self, name: str, timeout=()):
        """The address of `name` (Scrapy's cached, threaded lookup)."""
        return super().getHostByName(name, timeout)

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 - Twisted's interface
        return self.lookup(name, timeout).addCallback(self.checked, name)

    def checked(self, address: str, name: str) -> str:
        why = self.policy.address_refusal(address)
        if why:
            logger.warning("refused to connect to %s: %s", name, why)
            raise RefusedAddress(f"refused {name}: {why}")
        return address

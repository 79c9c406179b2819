"""What the crawler may touch (crawler/addresses.py), the resolver and the middlewares that apply
it. No test here opens a connection: the decision function and the components are called
directly, and names resolve through a stub."""
import asyncio

import pytest
from scrapy.http import Request, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.internet import defer
from twisted.internet.error import DNSLookupError

from crawler.addresses import AddressPolicy, origin
from crawler.downloadermiddlewares.addresses import AddressGuardMiddleware
from crawler.downloadermiddlewares.redirect import RedirectMiddleware
from crawler.exceptions import Refused
from crawler.resolver import GuardedResolver
from crawler.spiders.docsites import DocsitesSpider

NON_PUBLIC = ["10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.1.1", "169.254.169.254",
              "127.0.0.1", "127.0.0.2", "0.0.0.0", "100.64.0.1", "224.0.0.251", "255.255.255.255",
              "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1",
              "2002:a00:1::", "64:ff9b::a9fe:a9fe", "ff02::1"]
PUBLIC = ["8.8.8.8", "93.184.216.34", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses_are_refused(address):
    assert "non-public" in AddressPolicy().address_refusal(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address):
    assert AddressPolicy().address_refusal(address) is None


def test_allowed_addresses_open_exactly_what_they_name():
    policy = AddressPolicy(["127.0.0.1", "10.1.0.0/16"])
    assert policy.address_refusal("127.0.0.1") is None
    assert policy.address_refusal("10.1.200.3") is None
    assert policy.address_refusal("127.0.0.2") is not None  # loopback other than the allowed one
    assert policy.address_refusal("10.2.0.1") is not None
    assert policy.address_refusal("::1") is not None


def test_allowed_addresses_from_settings_in_every_spelling():
    for value in (["127.0.0.1", "10.1.0.0/16"], "127.0.0.1,10.1.0.0/16", '["127.0.0.1", "10.1.0.0/16"]'):
        policy = AddressPolicy.from_settings(Settings({"ALLOWED_ADDRESSES": value}))
        assert policy.address_refusal("10.1.0.9") is None and policy.address_refusal("10.3.0.9") is not None
    assert AddressPolicy.from_settings(Settings({})).address_refusal("127.0.0.1") is not None


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "file://127.0.0.1:8000/etc/passwd", "ftp://ftp.example.com/a.txt",
    "s3://bucket/key", "data:text/html,<p>x</p>", "gopher://example.com/", "//example.com/x",
    "http://10.0.0.1/", "http://192.168.0.1:8080/admin", "http://[::1]:6379/", "http://169.254.169.254/latest/",
    "http://[fd00::1]/", "http://0.0.0.0:8000/", "http://[::ffff:127.0.0.1]/", "http://example.com:abc/",
])
def test_urls_the_crawler_may_not_fetch(url):
    assert AddressPolicy().url_refusal(url) is not None


def test_urls_it_may_fetch():
    policy = AddressPolicy(["127.0.0.1"])
    for url in ("https://www.wnwk.com/doc/1.html", "http://93.184.216.34/", "http://127.0.0.1:8001/",
                "HTTP://Example.com/", "http://evil.example/"):  # a name is checked when resolved
        assert policy.url_refusal(url) is None, url


def test_origin_is_host_and_port_with_default_ports_as_one():
    assert origin("http://x.cn/a") == origin("https://x.cn:443/b") == origin("http://X.cn:80/") == ("x.cn", None)
    assert origin("http://127.0.0.1:8000/") != origin("http://127.0.0.1:8001/")


# --- the resolver: names are judged by the address they resolve to, at connect time -----------------
def resolver_answering(address, allowed=()):
    resolver = GuardedResolver(object(), 0, 5.0, AddressPolicy(allowed))
    looked_up = []

    def lookup(name, timeout=()):
        looked_up.append(name)
        return defer.succeed(address)
    resolver.lookup = lookup  # the stub stands in for DNS only; the check is the real one
    return resolver, looked_up


def result_of(d):
    out = []
    d.addBoth(out.append)
    return out[0]


@pytest.mark.parametrize("address", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "192.168.0.10"])
def test_a_name_resolving_to_a_non_public_address_is_refused(address):
    resolver, looked_up = resolver_answering(address)
    failure = result_of(resolver.getHostByName("rebind.example"))
    assert looked_up == ["rebind.example"]
    assert failure.check(DNSLookupError) and "rebind.example" in str(failure.value)


def test_a_name_resolving_to_a_public_or_allowed_address_is_used():
    resolver, _ = resolver_answering("93.184.216.34")
    assert result_of(resolver.getHostByName("example.com")) == "93.184.216.34"
    resolver, _ = resolver_answering("127.0.0.1", allowed=["127.0.0.1"])
    assert result_of(resolver.getHostByName("localhost")) == "127.0.0.1"


def test_the_project_installs_the_guarded_resolver_and_no_local_handlers():
    from crawler import settings  # the project's settings module, whose add-on sets both
    crawler = get_crawler(DocsitesSpider, {k: getattr(settings, k) for k in dir(settings) if k.isupper()})
    assert crawler.settings.get("TWISTED_DNS_RESOLVER") == "crawler.resolver.GuardedResolver"
    handlers = crawler.settings.getdict("DOWNLOAD_HANDLERS")
    assert {handlers[s] for s in ("file", "ftp", "s3", "data")} == {None}


# --- the middlewares ---------------------------------------------------------------------------------
def guard(answers, allowed=("127.0.0.1",)):
    """The middleware, resolving names through `answers` (name -> address) instead of DNS."""
    def resolve(name):
        return defer.succeed(answers[name]) if name in answers else defer.fail(DNSLookupError(name))
    return AddressGuardMiddleware(AddressPolicy(allowed), resolve=resolve)


def run(coroutine):
    return asyncio.run(coroutine)


def test_guard_middleware_refuses_before_sending():
    mw = guard({"intranet.example": "10.0.0.5", "www.wnwk.com": "47.92.1.1", "localhost": "127.0.0.1",
                "metadata.example": "169.254.169.254"})
    for url in ("http://10.0.0.1/doc/1.html", "file:///etc/passwd", "http://127.0.0.2:8000/", "ftp://127.0.0.1/x",
                "http://intranet.example/", "https://metadata.example/latest/"):
        with pytest.raises(Refused):
            run(mw.process_request(Request(url)))
    assert run(mw.process_request(Request("http://127.0.0.1:8000/"))) is None
    assert run(mw.process_request(Request("http://localhost:8000/"))) is None
    assert run(mw.process_request(Request("https://www.wnwk.com/"))) is None
    # a name that does not resolve is left to the download handler (its error, its retries)
    assert run(mw.process_request(Request("https://no-such-name.example/"))) is None


def test_guard_middleware_gives_the_resolvers_reason():
    resolver, _ = resolver_answering("10.0.0.5")
    mw = AddressGuardMiddleware(AddressPolicy(), resolve=resolver.getHostByName)
    with pytest.raises(Refused, match="refused rebind.example: 10.0.0.5 is a non-public address"):
        run(mw.process_request(Request("http://rebind.example/")))


@pytest.fixture
def redirects():
    crawler = get_crawler(DocsitesSpider, {"ALLOWED_ADDRESSES": "127.0.0.1"})
    crawler.spider = crawler._create_spider(start_urls="http://127.0.0.1:8000/")
    crawler.spider.configure(crawler.settings)
    mw = RedirectMiddleware.from_crawler(crawler)

    def follow(url, location, chain=()):
        request = Request(url, meta={"redirect_urls": list(chain)} if chain else {})
        return mw.process_response(request, Response(url, status=302, headers={"Location": location}))
    return follow


def test_a_redirect_to_another_port_of_the_host_is_refused(redirects):
    with pytest.raises(Refused, match="host and port"):
        redirects("http://127.0.0.1:8000/go", "http://127.0.0.1:8001/doc/1.html")


def test_a_redirect_to_a_non_public_address_is_refused(redirects):
    with pytest.raises(Refused, match="non-public"):
        redirects("http://127.0.0.1:8000/go", "http://169.254.169.254/latest/meta-data/")


def test_a_redirect_loop_is_refused_with_its_chain(redirects):
    with pytest.raises(Refused, match="redirect loop"):
        redirects("http://127.0.0.1:8000/b", "/a", chain=["http://127.0.0.1:8000/a"])


def test_a_redirect_on_the_origin_is_followed_without_credentials(redirects):
    followed = redirects("http://127.0.0.1:8000/go/3", "http://user:secret@127.0.0.1:8000/doc/3.html")
    assert followed.url == "http://127.0.0.1:8000/doc/3.html"
    assert followed.meta["redirect_urls"] == ["http://127.0.0.1:8000/go/3"]

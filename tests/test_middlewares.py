"""Crawler helpers that need no crawl: Retry-After parsing and canonical URLs."""
import email.utils
import time

from crawler.downloadermiddlewares.retry_after import parse_retry_after
from crawler.urls import Canonicalizer, canonical_url


def test_retry_after_seconds_and_http_date():
    assert parse_retry_after(b"120") == 120.0
    assert parse_retry_after(" 3 ") == 3.0
    now = time.time()
    assert abs(parse_retry_after(email.utils.formatdate(now + 60, usegmt=True), now=now) - 60) < 1.5
    assert parse_retry_after(email.utils.formatdate(now - 60, usegmt=True), now=now) == 0.0
    assert parse_retry_after(None) is None and parse_retry_after(b"soon") is None


def test_tracking_and_session_parameters_are_dropped():
    assert canonical_url("https://www.wnwk.com/doc/1.html?utm_source=a&spm=b.c&from=list#top") == \
        "https://www.wnwk.com/doc/1.html"
    assert canonical_url("https://x.cn/list?page=2&sid=abc&cat=7") == "https://x.cn/list?cat=7&page=2"
    assert canonical_url("https://x.cn/doc/1.html;jsessionid=ABC123?PHPSESSID=9") == "https://x.cn/doc/1.html"
    # search terms survive, spelled one way
    assert canonical_url("https://x.cn/s?q=科技局 工作总结") == canonical_url("https://x.cn/s?q=%E7%A7%91%E6%8A%80%E5%B1%80+%E5%B7%A5%E4%BD%9C%E6%80%BB%E7%BB%93")


def test_drop_list_is_configurable():
    keep_from = Canonicalizer(["utm_*"])
    assert keep_from("https://x.cn/a?from=1&utm_medium=x") == "https://x.cn/a?from=1"


def test_query_bytes_survive_canonicalisation():
    """A GBK-encoded query keeps its bytes: two searches stay two URLs (issue 16, defect 2)."""
    assert canonical_url("http://x.cn/s?q=%BF%C6%BC%BC&page=2&spm=1") == "http://x.cn/s?page=2&q=%BF%C6%BC%BC"
    assert canonical_url("http://x.cn/s?q=%BF%C6%BC%BC") != canonical_url("http://x.cn/s?q=%D5%FE%B8%AE")
    assert canonical_url("http://x.cn/s?utm_source=%BF&q=%E7%A7%91") == "http://x.cn/s?q=%E7%A7%91"


def test_credentials_are_dropped_from_urls():
    assert canonical_url("http://alice:s3cret@X.cn:8080/a?b=1") == "http://x.cn:8080/a?b=1"
    assert canonical_url("https://token@x.cn/") == "https://x.cn/"


def test_fetched_at_with_fractional_seconds_counts_as_fresh():
    """A WARC-Date with fractional seconds (ingested pages) is a time like any other (issue 16, defect 7)."""
    from datetime import UTC, datetime, timedelta

    from crawler.downloadermiddlewares.incremental import IncrementalMiddleware
    mw = IncrementalMiddleware(":memory:", 30)
    recent = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert mw.fresh(recent) and mw.fresh(recent[:19] + "Z")
    assert not mw.fresh("2001-01-01T00:00:00.5Z") and not mw.fresh("yesterday")


def test_warc_records_carry_the_reason_phrase_and_no_cookies(tmp_path):
    from scrapy.http import Request, Response
    from warcio.archiveiterator import ArchiveIterator

    from crawler.extensions.warc import WarcWriter
    writer = WarcWriter(str(tmp_path), 1 << 30, "test", queue_size=4)
    assert writer.records.maxsize == 4  # bounded: a slow disk holds the crawl, not memory
    writer.spider_opened()
    for status in (200, 404, 599):
        writer.response_received(Response("http://x.cn/a", status=status, body=b"<p>x</p>",
                                          headers={"Set-Cookie": "SID=1", "Content-Type": "text/html"}),
                                 Request("http://x.cn/a"))
    writer.spider_closed()
    (path,) = tmp_path.glob("*.warc.gz")
    with open(path, "rb") as f:
        records = [r for r in ArchiveIterator(f) if r.rec_type == "response"]
    assert [r.http_headers.statusline for r in records] == ["200 OK", "404 Not Found", "599"]
    assert all(r.http_headers.get_header("Set-Cookie") is None for r in records)
    assert records[0].http_headers.get_header("Content-Type") == "text/html"

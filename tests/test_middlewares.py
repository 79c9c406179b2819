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

"""A bare or misspelled `scrapy crawl docsites` never crawls the live web: unknown arguments, start
URLs that are not http(s), a max_pages that is not a number and "nothing named" are one-line
errors with exit status 2, before anything is scheduled; every profile takes `-a sites=all`."""
import os
import subprocess

import pytest

from crawler.spiders.docsites import ArgumentError, DocsitesSpider, check_arguments
from tests.sitefarm import ROOT, crawl_command


@pytest.mark.parametrize("kwargs, message", [
    ({}, "nothing to crawl"),
    ({"start_url": "http://127.0.0.1:1/"}, "unknown argument -a start_url=… (did you mean -a start_urls=…?)"),
    ({"site": "wnwk"}, "did you mean -a sites"),
    ({"start_urls": "www.example.com/"}, "not an http(s) URL"),
    ({"start_urls": "file:///etc/passwd"}, "not an http(s) URL"),
    ({"start_urls": "http://127.0.0.1:1/,ftp://127.0.0.1/x"}, "not an http(s) URL"),
    ({"start_urls": "http://127.0.0.1:1/", "max_pages": "abc"}, "max_pages='abc': not a whole number"),
    ({"start_urls": "http://127.0.0.1:1/", "max_pages": "-3"}, "must be 0"),
    ({"query": "科技局"}, "nothing to crawl"),
])
def test_arguments_that_would_crawl_what_was_not_meant(kwargs, message):
    with pytest.raises(ArgumentError, match=None) as e:
        check_arguments(kwargs)
    assert message in str(e.value)
    with pytest.raises(ArgumentError):
        DocsitesSpider(**kwargs)  # a CrawlerProcess user gets the same check


def test_arguments_that_are_fine():
    assert check_arguments({"sites": "all"})["sites"] == "all"
    got = check_arguments({"start_urls": " http://a.cn/ ,https://b.cn/x", "max_pages": "5", "_job": "abc"})
    assert got["start_urls"] == ["http://a.cn/", "https://b.cn/x"] and got["max_pages"] == 5
    spider = DocsitesSpider(start_urls="http://user:pw@a.cn/")
    assert "pw" not in str(spider._crawl_args)  # crawl_runs.arguments never holds the credentials


# Every scheme's download handler is off in these runs: whatever the code does, no request can
# leave the process (a request would fail with NotSupported, a bare run would still exit 0).
NO_NETWORK = {"DOWNLOAD_HANDLERS": {"http": None, "https": None, "file": None, "ftp": None, "s3": None,
                                    "data": None}, "LOG_LEVEL": "INFO"}


@pytest.mark.parametrize("args, message", [
    ({}, "nothing to crawl"),
    ({"start_url": "http://127.0.0.1:9/"}, "unknown argument -a start_url"),
    ({"start_urls": "127.0.0.1:9/"}, "not an http(s) URL"),
    ({"start_urls": "http://127.0.0.1:9/", "max_pages": "abc"}, "not a whole number"),
    ({"sites": "wnwk,nosuchsite"}, "unknown site profile 'nosuchsite'"),
])
def test_scrapy_crawl_fails_in_one_line_before_scheduling(tmp_path, args, message):
    db_path = str(tmp_path / "corpus.db")
    proc = subprocess.run(crawl_command(db_path, args, NO_NETWORK), cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2, proc.stderr[-3000:]
    # Scrapy's start-up log lines come first; then the error, one line of its own
    lines = [line for line in proc.stderr.strip().splitlines() if "[scrapy." not in line and not line.startswith((" ", "{"))]
    assert lines == [f"scrapy crawl docsites: {lines[-1].split(': ', 1)[1]}"] and message in lines[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr and "Spider opened" not in proc.stderr
    assert not os.path.exists(db_path)  # the pipeline never opened: nothing was crawled

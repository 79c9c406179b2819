"""WARC_DIR: also write every response to gzipped WARC files (warcio), for archiving and for
`docsites ingest` elsewhere.

Files are `docsites-<UTC time>-<pid>-<n>.warc.gz`, a new one after WARC_MAX_BYTES. Compression and
disk writes happen in a thread of their own, not on the reactor; at most WARC_QUEUE_SIZE responses
wait for it (a full queue holds the crawl until the disk catches up, rather than memory growing
without bound). Bodies are written as received after content decoding, so Content-Encoding is
dropped from the recorded headers; so are `Set-Cookie` and `Cookie` unless WARC_KEEP_COOKIES is
set (a session cookie is a credential, and a WARC file is made to be shared). Status lines carry
their reason phrase (`200 OK`), as WARC readers and replay tools expect. Responses the crawl did
not fetch (a fresh stored page re-read for its links) are not written.
"""
from __future__ import annotations

import io
import logging
import os
import queue
import threading
import time
from http import HTTPStatus

from scrapy import signals
from scrapy.exceptions import NotConfigured
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
COOKIE_HEADERS = {"set-cookie", "set-cookie2", "cookie"}


def status_line(status: int) -> str:
    """`200 OK`: the status with its reason phrase (none known: the number alone)."""
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


class WarcWriter:
    def __init__(self, folder: str, max_bytes: int, software: str, keep_cookies: bool = False,
                 queue_size: int = 64):
        self.folder = folder
        self.max_bytes = max_bytes
        self.software = software
        self.drop_headers = DROP_HEADERS if keep_cookies else DROP_HEADERS | COOKIE_HEADERS
        self.records: queue.Queue = queue.Queue(maxsize=max(1, queue_size))
        self.thread = threading.Thread(target=self.run, name="warc-writer", daemon=True)
        self.serial = 0
        self.file = None
        self.writer = None
        self.written = 0

    @classmethod
    def from_crawler(cls, crawler):
        folder = crawler.settings.get("WARC_DIR")
        if not folder:
            raise NotConfigured
        s = crawler.settings
        ext = cls(folder, s.getint("WARC_MAX_BYTES"), s.get("USER_AGENT"), s.getbool("WARC_KEEP_COOKIES"),
                  s.getint("WARC_QUEUE_SIZE"))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider=None):
        os.makedirs(self.folder, exist_ok=True)
        self.thread.start()

    def response_received(self, response, request, spider=None):
        if request.meta.get("docsites_replayed"):
            return  # not fetched: the corpus's own copy, re-read for its links
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, values in response.headers.items() for v in values
                   if k.decode("latin-1").lower() not in self.drop_headers]
        self.records.put((response.url, response.status, headers, response.body, request.method))

    def spider_closed(self, spider=None):
        if self.thread.is_alive():
            self.records.put(None)
            self.thread.join()

    # --- the writer thread -------------------------------------------------------------------
    def open_file(self):
        if self.file:
            self.file.close()
        self.serial += 1
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        path = os.path.join(self.folder, f"docsites-{stamp}-{os.getpid()}-{self.serial:05d}.warc.gz")
        self.file = open(path, "wb")  # noqa: SIM115 - kept by the writer thread until the next file or the close
        self.writer = WARCWriter(self.file, gzip=True)
        self.writer.write_record(self.writer.create_warcinfo_record(
            os.path.basename(path), {"software": self.software, "format": "WARC File Format 1.1"}))
        logger.info("writing responses to %s", path)

    def run(self):
        while (record := self.records.get()) is not None:
            try:
                self.write(*record)
            except Exception:  # the thread must keep draining the queue, or the crawl would wait on it
                logger.exception("cannot write WARC record for %s", record[0])
        if self.file:
            self.file.close()

    def write(self, url, status, headers, body, method):
        if self.file is None or self.file.tell() >= self.max_bytes:
            self.open_file()
        headers.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(status_line(status), headers, protocol="HTTP/1.1", is_http_request=False)
        record = self.writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                http_headers=http_headers)
        self.writer.write_record(record)

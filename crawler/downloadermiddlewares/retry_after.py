"""Retries with backoff that honour `Retry-After`, and pause the whole host while they wait.

Scrapy's RetryMiddleware re-queues a failed request at once. A server answering 429 or 503 is
asking the crawler to slow down, so this one holds back every request to that host (its download
slot) until the `Retry-After` time, or an exponential backoff when the header is missing; a
`Retry-After` longer than RETRY_AFTER_MAX gives the page up for this run (it is then recorded as an
http_error rejection and fetched again by the next run).
"""
from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent/bad."""
    if not value:
        return None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class RetryAfterMiddleware(RetryMiddleware):
    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("RETRY_AFTER_MAX")

    def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = parse_retry_after(response.headers.get("Retry-After"))
        stats = self.crawler.stats
        if wait is not None and wait > self.retry_after_max:
            logger.warning("giving up on %s: Retry-After %.0fs is longer than RETRY_AFTER_MAX", request.url, wait)
            stats.inc_value("retry/retry_after_too_long")
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if wait is None:
            wait = min(self.backoff_max, self.backoff_base * 2 ** (retry.meta["retry_times"] - 1))
        else:
            stats.inc_value("retry/retry_after")
        self.pause_slot(request, wait)
        return retry

    def process_exception(self, request, exception, spider=None):
        retry = super().process_exception(request, exception)
        if retry is not None:
            self.pause_slot(request, min(self.backoff_max, self.backoff_base * 2 ** (retry.meta["retry_times"] - 1)))
        return retry

    def pause_slot(self, request, wait: float) -> None:
        """No request to this download slot (host) starts for `wait` seconds."""
        if wait <= 0:
            return
        downloader = self.crawler.engine.downloader
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        _, slot = downloader._get_slot(request)  # noqa: SLF001 - the slot's timing is what we must move
        # The downloader starts the next request of a slot once `lastseen + delay` has passed; it
        # only checks when the delay is non-zero, hence the floor.
        slot.delay = max(slot.delay, 0.001)
        slot.lastseen = max(slot.lastseen, time.monotonic() + wait)
        logger.info("pausing %s for %.1fs (%s)", key, wait, request.url)

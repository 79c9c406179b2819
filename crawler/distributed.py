"""Distributed crawling: several `scrapy crawl docsites` processes share one request queue and one
seen-set in Redis (scrapy-redis), so one crawl spreads over several machines.

Opt-in, as a Scrapy add-on: without `REDIS_URL` it raises NotConfigured and the crawl keeps Scrapy's
own scheduler and dupefilter. With `-s REDIS_URL=redis://host:6379/0` it switches

- the scheduler to scrapy-redis's (requests are pushed to and popped from a Redis sorted set, so
  our request priorities still hold), and
- the dupefilter to scrapy-redis's (a Redis set of request fingerprints: a URL is requested once
  by all workers together, start URLs included),

under keys named by `DISTRIBUTED_JOB` (`docsites:<job>:requests`, `docsites:<job>:dupefilter`).

Why the plain scheduler and not a RedisSpider: scrapy-redis 0.9.1's spiders feed themselves through
`start_requests()`, which Scrapy 2.16+ no longer calls; our spider's `async def start()` works with
the scrapy-redis scheduler unchanged, every worker yields the same start URLs and the shared
dupefilter lets each through once. A worker whose queue runs dry is kept open for
`MAX_IDLE_TIME_BEFORE_CLOSE` seconds by `crawler.extensions.idleclose.IdleClose` (a plain spider
would close at once while another worker is still adding links), then closes by itself.

`SCHEDULER_PERSIST` is forced on: scrapy-redis otherwise deletes the shared queue and seen-set when
a worker closes, and the workers still running would fetch everything again. The keys therefore
outlive the crawl — like a JOBDIR, a finished job fetches nothing when started again: give each
crawl its own `DISTRIBUTED_JOB` (e.g. the date).
"""
from __future__ import annotations

import logging

from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)

IDLE_CLOSE = "crawler.extensions.idleclose.IdleClose"


def redis_keys(job: str) -> dict[str, str]:
    return {"requests": f"docsites:{job}:requests", "dupefilter": f"docsites:{job}:dupefilter"}


class Distributed:
    """Scrapy add-on (listed in ADDONS); switches scheduler and dupefilter to Redis when REDIS_URL is set."""

    @classmethod
    def from_crawler(cls, crawler):
        return cls()

    def update_settings(self, settings) -> None:
        url = settings.get("REDIS_URL")
        if not url:
            raise NotConfigured  # no message: a single-process crawl is the normal case
        try:
            import scrapy_redis  # noqa: F401
        except ImportError as e:  # a clear message instead of a failing import path later
            raise RuntimeError("REDIS_URL is set but scrapy-redis is not installed") from e
        job = settings.get("DISTRIBUTED_JOB") or "docsites"
        keys = redis_keys(job)
        settings.set("SCHEDULER", "scrapy_redis.scheduler.Scheduler", "addon")
        settings.set("DUPEFILTER_CLASS", "scrapy_redis.dupefilter.RFPDupeFilter", "addon")
        # the scheduler formats these with %(spider)s; our names are final already
        settings.set("SCHEDULER_QUEUE_KEY", keys["requests"].replace("%", "%%"), "addon")
        settings.set("SCHEDULER_DUPEFILTER_KEY", keys["dupefilter"].replace("%", "%%"), "addon")
        settings.set("SCHEDULER_QUEUE_CLASS", "scrapy_redis.queue.PriorityQueue", "addon")
        # see the module docstring: one worker closing must not wipe the others' queue
        settings.set("SCHEDULER_PERSIST", True, "cmdline")
        settings.set("SCHEDULER_FLUSH_ON_START", False, "cmdline")
        # a blocking pop would stall this worker's reactor; idling is IdleClose's job
        settings.set("SCHEDULER_IDLE_BEFORE_CLOSE", 0, "cmdline")
        settings["EXTENSIONS"][IDLE_CLOSE] = 0
        logger.info("distributed crawl: job %r on %s", job, _redacted(url))


def _redacted(url: str) -> str:
    """The Redis URL for the log, without a password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url

"""Distributed crawling: several `scrapy crawl docsites` processes share one request queue and one
seen-set in Redis (scrapy-redis), so one crawl spreads over several machines.

Opt-in, as a Scrapy add-on: without `REDIS_URL` it raises NotConfigured and the crawl keeps Scrapy's
own scheduler and dupefilter. With `-s REDIS_URL=redis://host:6379/0` it switches

- the scheduler to `LeasedScheduler` (scrapy-redis's, requests in a Redis sorted set so our
  priorities still hold, plus leases, below), and
- the dupefilter to scrapy-redis's (a Redis set of request fingerprints: a URL is requested once
  by all workers together, start URLs included),
- the page budgets (`max_pages`, `HOST_PAGE_BUDGET`, a profile's `page_budget`) and the per-host
  politeness delay to counters in Redis, so they hold for the whole crawl, not per worker,

under keys named by `DISTRIBUTED_JOB` (`docsites:<job>:…`; `docsites redis-clean JOB` deletes them).

Nothing taken is lost. Popping a request moves it, in one Lua script, from the queue into this
worker's *taken* set (`docsites:<job>:taken:<worker>`); it leaves that set only once its outcome is
stored — the corpus pipeline's item was committed (`item_scraped`, or dropped/failed), a
downloader middleware ignored it (robots.txt, budgets, RECRAWL_AFTER), or it went back into the
queue (a retry, a redirect). A worker renews a heartbeat key (`…:alive:<worker>`, TTL
`DISTRIBUTED_LEASE_TIMEOUT`) every third of it; when a worker is killed, its heartbeat expires and
the next worker that looks puts its taken requests back into the queue. A graceful close
(Ctrl-C, max_pages) puts them back at once. So a kill costs at most the pages in flight, fetched
again by another worker. The shared queue counts as not empty while another worker has requests
in flight, so no worker closes while a dead one's requests may still come back.

Why the plain scheduler and not a RedisSpider: scrapy-redis 0.9.1's spiders feed themselves through
`start_requests()`, which Scrapy 2.16+ no longer calls; our spider's `async def start()` works with
the scrapy-redis scheduler unchanged, every worker yields the same start URLs and the shared
dupefilter lets each through once. A worker whose queue runs dry is kept open for
`MAX_IDLE_TIME_BEFORE_CLOSE` seconds by `crawler.extensions.idleclose.IdleClose` (a plain spider
would close at once while another worker is still adding links), then closes by itself.

`SCHEDULER_PERSIST` is forced on: scrapy-redis otherwise deletes the shared queue and seen-set when
a worker closes, and the workers still running would fetch everything again. The keys therefore
outlive the crawl — like a JOBDIR, a finished job fetches nothing when started again: give each
crawl its own `DISTRIBUTED_JOB` (e.g. the date) and clean finished ones (`docsites redis-clean`).
Robots.txt is each worker's own: every worker fetches and obeys it (RobotsTxtMiddleware).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

from crawler.downloadermiddlewares.budget import HostBudgetMiddleware

try:  # an extra (docsites[redis]); the add-on says so when REDIS_URL is set without it
    from scrapy_redis.scheduler import Scheduler as RedisScheduler
except ImportError:  # pragma: no cover - exercised only without the extra
    RedisScheduler = object

logger = logging.getLogger(__name__)

IDLE_CLOSE = "crawler.extensions.idleclose.IdleClose"
BUDGET = "crawler.downloadermiddlewares.budget.HostBudgetMiddleware"


def redis_keys(job: str) -> dict[str, str]:
    """The Redis keys of one job; per-worker and per-host keys start with the prefixes given."""
    base = f"docsites:{job}"
    return {"requests": f"{base}:requests", "dupefilter": f"{base}:dupefilter", "workers": f"{base}:workers",
            "taken": f"{base}:taken:", "alive": f"{base}:alive:", "budget": f"{base}:budget:",
            "polite": f"{base}:polite:", "prefix": f"{base}:"}


class Distributed:
    """Scrapy add-on (listed in ADDONS); switches scheduler, dupefilter, budgets and politeness to
    Redis when REDIS_URL is set."""

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
            raise RuntimeError("REDIS_URL is set but scrapy-redis is not installed: pip install 'docsites[redis]'") from e
        job = settings.get("DISTRIBUTED_JOB")
        keys = redis_keys(job)
        settings.set("SCHEDULER", "crawler.distributed.LeasedScheduler", "addon")
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
        middlewares = settings["DOWNLOADER_MIDDLEWARES"]
        position = middlewares.get(BUDGET) or 120
        middlewares[BUDGET] = None
        middlewares["crawler.distributed.SharedHostBudget"] = position
        # after the budget: a request refused by it waits for no delay
        middlewares["crawler.distributed.SharedPoliteness"] = position + 5
        # first in, last to see exceptions: a request a middleware ignored is done
        middlewares["crawler.distributed.IgnoredRequests"] = 1
        logger.info("distributed crawl: job %r on %s", job, _redacted(url))


def _redacted(url: str) -> str:
    """The Redis URL for the log, without a password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    return url


def _server(crawler):
    from scrapy_redis import connection
    return connection.from_settings(crawler.settings)


# --- the scheduler: leases on taken requests -----------------------------------------------
# KEYS: queue, taken. The best request moves from the queue into the taken set, keeping its score.
POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('ZADD', KEYS[2], r[2], r[1])
return r[1]
"""
# KEYS: alive, taken, queue, workers; ARGV: worker. A worker without heartbeat: its taken requests
# go back into the queue (the better score wins if one is there already) and it leaves the registry.
RECOVER = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local n = redis.call('ZCARD', KEYS[2])
if n > 0 then
  redis.call('ZUNIONSTORE', KEYS[3], 2, KEYS[3], KEYS[2], 'AGGREGATE', 'MIN')
  redis.call('DEL', KEYS[2])
end
redis.call('SREM', KEYS[4], ARGV[1])
return n
"""
# KEYS: queue, workers; ARGV: taken prefix, this worker. Requests queued or in flight elsewhere.
PENDING = """
local n = redis.call('ZCARD', KEYS[1])
for _, w in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if w ~= ARGV[2] then n = n + redis.call('ZCARD', ARGV[1] .. w) end
end
return n
"""


class LeasedScheduler(RedisScheduler):
    """scrapy-redis's scheduler, but a popped request stays in this worker's taken set until its
    outcome is stored; a dead worker's taken requests return to the queue (module docstring)."""

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        s = crawler.settings
        scheduler.crawler = crawler
        scheduler.keys = redis_keys(s.get("DISTRIBUTED_JOB") or "docsites")
        scheduler.lease = s.getfloat("DISTRIBUTED_LEASE_TIMEOUT")
        # unique per process: a restarted worker is a new one, its predecessor recovered by lease
        scheduler.worker = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        scheduler.taken_key = scheduler.keys["taken"] + scheduler.worker
        scheduler.alive_key = scheduler.keys["alive"] + scheduler.worker
        scheduler.taken: dict[str, list[bytes]] = {}
        scheduler.last_recovery = 0.0
        scheduler.beat_task = None
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error, signals.spider_error):
            crawler.signals.connect(scheduler.page_done, signal=signal)
        return scheduler

    def open(self, spider):
        super().open(spider)
        self._pop = self.server.register_script(POP)
        self._recover = self.server.register_script(RECOVER)
        self._pending = self.server.register_script(PENDING)
        self.beat()
        self.recover(force=True)
        from twisted.internet import task
        self.beat_task = task.LoopingCall(self.beat_and_recover)
        self.beat_task.start(max(self.lease / 3, 0.2), now=False)
        logger.info("worker %s: requests taken stay leased %.0f s after its last heartbeat", self.worker,
                    self.lease)

    def close(self, reason):
        if self.beat_task is not None and self.beat_task.running:
            self.beat_task.stop()
        # a graceful close: what is still taken was not stored, so it goes back for the others
        returned = self.server.zcard(self.taken_key)
        pipe = self.server.pipeline()
        if returned:
            pipe.zunionstore(self.keys["requests"], [self.keys["requests"], self.taken_key], aggregate="MIN")
        pipe.delete(self.taken_key, self.alive_key)
        pipe.srem(self.keys["workers"], self.worker)
        pipe.execute()
        if returned:
            logger.info("worker %s: %d requests in flight went back into the shared queue", self.worker, returned)
        return super().close(reason)

    # --- heartbeat and recovery ------------------------------------------------------------
    def beat(self) -> None:
        # alive before registered: a worker registered without heartbeat would be recovered at once
        pipe = self.server.pipeline()
        pipe.set(self.alive_key, int(time.time()), px=int(self.lease * 1000))
        pipe.sadd(self.keys["workers"], self.worker)
        pipe.execute()

    def beat_and_recover(self) -> None:
        try:
            self.beat()
            self.recover()
        except Exception:  # Redis away for a moment: the next beat tries again
            logger.exception("worker %s: heartbeat failed", self.worker)

    def recover(self, force: bool = False) -> int:
        """Put the taken requests of workers whose heartbeat expired back into the queue."""
        now = time.monotonic()
        if not force and now - self.last_recovery < 1.0:
            return 0
        self.last_recovery = now
        total = 0
        for raw in self.server.smembers(self.keys["workers"]):
            worker = raw.decode() if isinstance(raw, bytes) else raw
            if worker == self.worker:
                continue
            n = self._recover(keys=[self.keys["alive"] + worker, self.keys["taken"] + worker,
                                    self.keys["requests"], self.keys["workers"]], args=[worker])
            if n > 0:
                logger.warning("worker %s has no heartbeat: its %d requests in flight went back into the queue",
                               worker, n)
                self.stats.inc_value("distributed/recovered", n)
                total += n
        return total

    # --- the queue -------------------------------------------------------------------------
    def enqueue_request(self, request):
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        data = self.queue._encode_request(request)
        pipe = self.server.pipeline()
        pipe.execute_command("ZADD", self.keys["requests"], -request.priority, data)
        # a retry or a redirect of a request we hold: it is safe in the queue again, our lease ends
        done = self._forget(request.url, *request.meta.get("redirect_urls", ()))
        if done:
            pipe.zrem(self.taken_key, *done)
        pipe.execute()
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self):
        data = self._pop(keys=[self.keys["requests"], self.taken_key])
        if not data:
            self.recover()
            return None
        request = self.queue._decode_request(data)
        self.taken.setdefault(request.url, []).append(data)
        if self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        # requests another worker holds may come back (if it dies): not idle until they are done
        return self._pending(keys=[self.keys["requests"], self.keys["workers"]],
                             args=[self.keys["taken"], self.worker]) > 0

    def __len__(self):
        return len(self.queue)

    # --- done ------------------------------------------------------------------------------
    def _forget(self, *urls) -> list[bytes]:
        done = []
        for url in dict.fromkeys(urls):
            done.extend(self.taken.pop(url, ()))
        return done

    def done(self, request, *urls) -> None:
        """`request` has its outcome stored: end its lease."""
        found = self._forget(*([request.url, *request.meta.get("redirect_urls", ())] if request else []), *urls)
        if found:
            self.server.zrem(self.taken_key, *found)

    def page_done(self, response=None, item=None, **kwargs) -> None:
        # an item's url is its first request's (before redirects); the response's request the last
        request = getattr(response, "request", None)
        url = item.get("url") if item is not None else None
        self.done(request, *([url] if url else []))


def _scheduler(crawler) -> LeasedScheduler | None:
    engine = getattr(crawler, "engine", None)
    slot = getattr(engine, "_slot", None)
    scheduler = getattr(slot, "scheduler", None)
    return scheduler if isinstance(scheduler, LeasedScheduler) else None


class IgnoredRequests:
    """Downloader middleware (first in): a request a later middleware ignored (robots.txt, a
    budget, RECRAWL_AFTER) has its outcome, so its lease ends."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_exception(self, request, exception, spider=None):
        if isinstance(exception, IgnoreRequest):
            scheduler = _scheduler(self.crawler)
            if scheduler is not None:
                scheduler.done(request)
        return None


# --- budgets and politeness for the whole crawl --------------------------------------------
# KEYS: all pages, this host's pages; ARGV: url, max_pages, budget. Sets of URLs, not counters: a
# request counted once stays counted once when it is fetched again after a worker died.
TAKE = """
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then return 'ok' end
local max_pages, budget = tonumber(ARGV[2]), tonumber(ARGV[3])
if max_pages > 0 and redis.call('SCARD', KEYS[1]) >= max_pages then return 'max_pages' end
if budget > 0 and redis.call('SCARD', KEYS[2]) >= budget then return 'host' end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
return 'ok'
"""


class SharedHostBudget(HostBudgetMiddleware):
    """HostBudgetMiddleware counting in Redis: `max_pages` and the per-host budgets hold for all
    workers of the job together."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        mw.keys = redis_keys(crawler.settings.get("DISTRIBUTED_JOB"))
        mw.server = _server(crawler)
        mw._take = mw.server.register_script(TAKE)
        return mw

    def take(self, spider, request, host, budget, max_pages):
        result = self._take(keys=[self.keys["budget"] + "*", self.keys["budget"] + host],
                            args=[request.url, max_pages or 0, budget if budget > 0 else 0])
        result = result.decode() if isinstance(result, bytes) else result
        return None if result == "ok" else result


# KEYS: this host's next free time; ARGV: delay (s). Reserves the host's next slot on Redis's clock;
# returns the seconds to wait for it.
RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local delay = tonumber(ARGV[1])
redis.call('SET', KEYS[1], tostring(at + delay), 'PX', math.ceil((at + delay - now) * 1000) + 60000)
return tostring(at - now)
"""


class SharedPoliteness:
    """Downloader middleware: a host's download delay holds across all workers — each request to a
    host reserves the next slot in Redis (its delay after the previous one, whichever worker sent
    it) and waits for it. The delay is the host's download slot's (a profile's `download_delay`,
    else DOWNLOAD_DELAY); AutoThrottle still adjusts each worker's own slot on top."""

    def __init__(self, crawler, server, keys):
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self._reserve = server.register_script(RESERVE)
        self.default_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, _server(crawler), redis_keys(crawler.settings.get("DISTRIBUTED_JOB")))

    def delay_for(self, slot: str) -> float:
        configured = self.crawler.settings.getdict("DOWNLOAD_SLOTS").get(slot) or {}
        return float(configured.get("delay", self.default_delay))

    async def process_request(self, request, spider=None):
        if request.meta.get("docsites_kind") is None:  # robots.txt and other engine requests
            return None
        # Scrapy's download slot: the request's download_slot, else its host name
        slot = request.meta.get("download_slot") or urlparse_cached(request).hostname or ""
        delay = self.delay_for(slot)
        if delay <= 0:
            return None
        wait = float(self._reserve(keys=[self.keys["polite"] + slot], args=[delay]))
        if wait > 0:
            self.crawler.stats.inc_value("distributed/politeness_waits")
            await asyncio.sleep(wait)
        return None

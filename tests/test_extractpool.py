"""crawler/extractpool.py: real worker processes, answered on an asyncio event loop."""
import asyncio
import os
import random
import time

import pytest

from crawler.extractpool import ExtractionPool, WorkerDied
from crawler.pipelines import WARM_UP_PAGE
from pipelines.extract import Extraction
from pipelines.ingest import run_extraction
from pipelines.model import Page
from pipelines.timelimit import hard_limit
from tests.sitefarm import document_page, make_text, make_title


def pages(n):
    rng = random.Random(3)
    out = []
    for i in range(n):
        html = document_page("kv-header", i, make_title(rng, i), make_text(rng, i), "汇文网", "/", [])
        out.append(Page(url=f"http://127.0.0.1/doc/{i}.html", headers={"content-type": "text/html; charset=utf-8"},
                        body=html.encode("utf-8")))
    return out


WORDS = ("科技", "工作", "总结", "推进", "加强", "知识产权", "保护", "合作", "创新", "发展", "企业", "服务")


def big_article(paragraphs: int, seed: int = 1) -> Page:
    """An article page that takes extraction about 0.4 ms per paragraph (0.9 s for 2,000)."""
    rng = random.Random(seed)
    paras = "".join("<p>" + "，".join("".join(rng.choice(WORDS) for _ in range(5)) for _ in range(6)) + "。</p>\n"
                    for _ in range(paragraphs))
    return Page(url="http://127.0.0.1/big.html", headers={"content-type": "text/html; charset=utf-8"},
                body=f"<html><head><title>大页面</title></head><body><div>{paras}</div></body></html>".encode())


@pytest.fixture
def pool():
    pool = ExtractionPool(2, warm_up=WARM_UP_PAGE)
    pool.wait_ready()
    yield pool
    pool.close()


def test_workers_extract_what_extraction_in_process_does(pool):
    batch = pages(12)

    async def crawl():
        return await asyncio.gather(*(pool.run(p) for p in batch))
    results = asyncio.run(crawl())
    assert all(isinstance(r, Extraction) for r in results)
    assert [[d.text for d in r.documents] for r in results] == \
        [[d.text for d in run_extraction(p).documents] for p in batch]
    assert len(pool.idle) == 2 and not pool.waiting


def test_a_worker_killed_on_a_page_fails_it_and_is_replaced(pool):
    batch = pages(6)
    # a page that takes a worker long enough to read and extract that the kill lands first
    slow = Page(url="http://127.0.0.1/doc/big.html", headers={"content-type": "text/html; charset=utf-8"},
                body=batch[0].body * 60)
    victim = pool.idle[0]

    async def crawl():
        first = asyncio.ensure_future(pool.run(slow))
        await asyncio.sleep(0)          # dispatched to the first idle worker
        assert victim.future is not None
        victim.process.kill()
        with pytest.raises(WorkerDied):
            await first
        return await asyncio.gather(*(pool.run(p) for p in batch[1:]))
    results = asyncio.run(crawl())
    assert all(isinstance(r, Extraction) and r.documents for r in results)
    assert victim.process.pid not in pool.pids and len(pool.pids) == 2


def test_a_worker_that_died_idle_is_replaced_when_given_a_page(pool):
    victim = pool.idle[0]
    victim.process.kill()
    victim.process.join()

    async def crawl():
        with pytest.raises(WorkerDied):
            await pool.run(pages(1)[0])   # sent to the dead worker
        return await pool.run(pages(2)[1])
    assert isinstance(asyncio.run(crawl()), Extraction)
    assert victim.process.pid not in pool.pids


def test_close_stops_the_workers():
    pool = ExtractionPool(1, warm_up=None)
    pool.wait_ready()
    processes = [w.process for w in pool.workers]
    pool.close()
    assert not any(p.is_alive() for p in processes)
    with pytest.raises(WorkerDied):
        asyncio.run(pool.run(pages(1)[0]))


class _DiesWhenUnpickled:
    """Handed to a new worker as its warm-up page, it ends the worker before it is ready."""
    def __reduce__(self):
        return (os._exit, (3,))


def test_a_replacement_that_cannot_start_fails_the_waiting_pages_instead_of_respawning():
    pool = ExtractionPool(1, warm_up=None)
    pool.wait_ready()
    pool.warm_up = _DiesWhenUnpickled()    # every worker started from now on is broken
    pool.idle[0].process.kill()
    pool.idle[0].process.join()

    async def crawl():
        with pytest.raises(WorkerDied):
            await pool.run(pages(1)[0])    # the dead worker; a broken replacement is started
        with pytest.raises(WorkerDied, match="no extraction worker left"):
            await asyncio.wait_for(pool.run(pages(2)[1]), timeout=30)
    try:
        asyncio.run(crawl())
        assert pool.workers == []
    finally:
        pool.close()


def test_a_page_sent_after_the_last_worker_died_fails_at_once_instead_of_waiting_for_ever():
    pool = ExtractionPool(1, warm_up=None)
    pool.wait_ready()
    pool.warm_up = _DiesWhenUnpickled()
    pool.idle[0].process.kill()
    pool.idle[0].process.join()

    async def crawl():
        with pytest.raises(WorkerDied):
            await pool.run(pages(1)[0])    # the dead worker; its broken replacement dies starting
        while pool.workers:                # until the replacement has died
            await asyncio.sleep(0.05)
        # what CorpusPipeline.extract does next: try the page again
        with pytest.raises(WorkerDied, match="no extraction worker left"):
            await asyncio.wait_for(pool.run(pages(2)[1]), timeout=30)
    try:
        asyncio.run(asyncio.wait_for(crawl(), timeout=60))
    finally:
        pool.close()


def test_a_page_past_the_time_budget_is_answered_with_a_timeout_and_the_worker_goes_on():
    # the budget a third of the page's extraction (~1 s of CPU since extraction got faster: at 1.0 s
    # it finished inside the budget), and far above a normal page's (~30 ms)
    pool = ExtractionPool(1, warm_up=WARM_UP_PAGE, time_budget=0.3)
    pool.wait_ready()

    async def crawl():
        slow = await asyncio.wait_for(pool.run(big_article(8000)), timeout=30)
        return slow, await pool.run(pages(1)[0])
    try:
        slow, normal = asyncio.run(crawl())
        assert slow.problem.reason == "extract_timeout" and "0.3 s budget" in slow.problem.detail
        assert isinstance(normal, Extraction) and normal.documents
    finally:
        pool.close()


class _StuckWhenUnpickled:
    """Handed to a worker with a page, it holds the worker where no timer of its own reaches."""
    def __reduce__(self):
        return (time.sleep, (120,))


def test_a_worker_stuck_past_the_hard_limit_is_killed_and_replaced():
    pool = ExtractionPool(1, warm_up=WARM_UP_PAGE, time_budget=2.0)
    pool.wait_ready()
    stuck = pool.workers[0]

    async def crawl():
        answer = await asyncio.wait_for(pool.run(pages(1)[0], _StuckWhenUnpickled()), timeout=hard_limit(2.0) + 20)
        return answer, await asyncio.wait_for(pool.run(pages(2)[1]), timeout=60)
    try:
        answer, normal = asyncio.run(crawl())
        assert answer.problem.reason == "extract_timeout" and "2 s budget" in answer.problem.detail
        assert isinstance(normal, Extraction) and normal.documents
        assert not stuck.process.is_alive() and stuck.process.pid not in pool.pids and len(pool.pids) == 1
    finally:
        pool.close()

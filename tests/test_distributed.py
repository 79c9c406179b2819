"""Distributed crawling (crawler/distributed.py): two real `scrapy crawl` processes share one queue
and one seen-set in a real redis-server, each writes its own corpus, `docsites merge` joins them."""
import shutil
import socket
import subprocess
import time

import pytest
from click.testing import CliRunner
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.distributed import Distributed, redis_keys
from docsites.cli import cli
from pipelines import store
from tests.sitefarm import ROOT, SiteFarm, crawl_command, profile_site

REDIS = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    if REDIS is None:
        pytest.skip("redis-server is not on PATH (Debian package redis-server, scripts/system-deps.sh)")
    import redis
    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("redis-server did not answer")
    yield url
    proc.terminate()
    proc.wait(10)


def test_without_redis_url_the_addon_stays_off():
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    with pytest.raises(NotConfigured):
        Distributed().update_settings(settings)
    assert "scrapy_redis" not in str(settings.get("SCHEDULER"))
    assert "scrapy_redis" not in str(settings.get("DUPEFILTER_CLASS"))


def test_redis_url_switches_scheduler_and_dupefilter():
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.set("REDIS_URL", "redis://127.0.0.1:1/0", "cmdline")
    settings.set("DISTRIBUTED_JOB", "2026-01-02", "cmdline")
    settings.set("SCHEDULER_PERSIST", False, "cmdline")  # would wipe the queue under the other workers
    Distributed().update_settings(settings)
    assert settings.get("SCHEDULER") == "scrapy_redis.scheduler.Scheduler"
    assert settings.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST") is True
    assert settings.get("SCHEDULER_QUEUE_KEY") % {"spider": "docsites"} == redis_keys("2026-01-02")["requests"]
    assert "crawler.extensions.idleclose.IdleClose" in settings.getdict("EXTENSIONS")


def test_two_workers_share_one_crawl(redis_url, tmp_path):
    import redis
    farm = SiteFarm()
    # one listing links all documents, pages are slow and each worker has two requests in flight:
    # the first worker cannot drain the queue before the other's next poll (Scrapy polls an idle
    # spider every 5 s), so both get work
    site = farm.add(profile_site("wnwk", n_docs=40, per_listing=40, latency=0.3))
    farm.start()
    try:
        dbs = [str(tmp_path / f"worker{i}.db") for i in (1, 2)]
        settings = {"SITE_BASE_URLS": farm.base_urls(), "REDIS_URL": redis_url, "DISTRIBUTED_JOB": "test",
                    "MAX_IDLE_TIME_BEFORE_CLOSE": "3", "CONCURRENT_REQUESTS": "2",
                    "DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0, "concurrency": 2}}}
        logs = [open(tmp_path / f"worker{i}.log", "w+") for i in (1, 2)]
        procs = [subprocess.Popen(crawl_command(db, {"sites": "wnwk"}, settings), cwd=ROOT,
                                  stdout=log, stderr=subprocess.STDOUT) for db, log in zip(dbs, logs)]
        for proc in procs:
            proc.wait(timeout=90)  # idle close: each exits by itself, or this raises
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read())
            log.close()
        for proc, out in zip(procs, outputs):
            assert proc.returncode == 0, out[-3000:]
            assert "Spider closed (finished)" in out
            assert "closing this worker" in out  # closed by IdleClose, after the shared queue ran dry
    finally:
        farm.stop()

    # every document page was fetched exactly once, by one of the two workers
    assert site.docs
    for path in site.docs:
        assert len(site.hits(path)) == 1, (path, len(site.hits(path)))
    worker_urls = [{r[0] for r in store.open_db(db).execute("SELECT url FROM pages")} for db in dbs]
    assert all(worker_urls), f"a worker fetched nothing: {[len(u) for u in worker_urls]}"
    assert not worker_urls[0] & worker_urls[1], "a URL was fetched by both workers"
    for db in dbs:
        assert store.check_invariant(store.open_db(db)) == []
    # the shared queue is drained; the seen-set stays (a finished job fetches nothing again)
    client = redis.Redis.from_url(redis_url)
    assert client.zcard(redis_keys("test")["requests"]) == 0
    assert client.scard(redis_keys("test")["dupefilter"]) >= len(site.docs)

    # the merged corpus holds every page once and every document page in exactly one place
    merged = str(tmp_path / "corpus.db")
    result = CliRunner().invoke(cli, ["merge", "--db", merged, *dbs, "--workers", "1"])
    assert result.exit_code == 0, result.output
    db = store.open_db(merged)
    assert store.check_invariant(db) == []
    assert {r[0] for r in db.execute("SELECT url FROM pages")} == worker_urls[0] | worker_urls[1]
    doc_urls = {site.url(p) for p in site.docs}
    stored = [r[0] for r in db.execute("SELECT url FROM documents UNION ALL SELECT url FROM duplicates")]
    assert doc_urls <= set(stored) and len([u for u in stored if u in doc_urls]) == len(doc_urls)
    assert db["crawl_runs"].count == 2


def test_merge_dedups_across_workers(tmp_path):
    """The same document under two URLs, one per worker: the merge stores one document and one
    duplicate, though each worker alone had a document."""
    from pipelines.ingest import Ingestor
    from pipelines.model import Page
    from tests.sitefarm import document_page, make_text
    import random
    body = document_page("article", 1, "2023年科技局工作总结", make_text(random.Random(1), 1), "通用文库", "/", [])
    dbs = []
    for i, url in enumerate(["http://127.0.0.1:1/doc/1.html", "http://127.0.0.1:2/copy/1.html"]):
        path = str(tmp_path / f"w{i}.db")
        db = store.open_db(path)
        Ingestor(db).ingest(Page(url=url, body=body.encode(), status=200,
                                 headers={"content-type": "text/html; charset=utf-8"}))
        assert db["documents"].count == 1
        dbs.append(path)
    merged = str(tmp_path / "corpus.db")
    result = CliRunner().invoke(cli, ["merge", "--db", merged, *dbs, "--workers", "1"])
    assert result.exit_code == 0, result.output
    db = store.open_db(merged)
    assert (db["documents"].count, db["duplicates"].count) == (1, 1)
    assert store.check_invariant(db) == []
    # merging a source again changes nothing: its pages are stored in place
    assert CliRunner().invoke(cli, ["merge", "--db", merged, dbs[0], "--workers", "1"]).exit_code == 0
    assert (db["documents"].count, db["duplicates"].count) == (1, 1)

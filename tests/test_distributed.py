"""Distributed crawling (crawler/distributed.py): two real `scrapy crawl` processes share one queue
and one seen-set in a real redis-server, each writes its own corpus, `docsites merge` joins them."""
import itertools
import shutil
import socket
import subprocess
import time

import pytest
from click.testing import CliRunner
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings

from crawler import settings as project_settings
from crawler.addon import Docsites
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
    Docsites().update_settings(settings)  # which applies the distributed add-on when it is on
    assert "scrapy_redis" not in str(settings.get("SCHEDULER"))
    assert "scrapy_redis" not in str(settings.get("DUPEFILTER_CLASS"))


def test_redis_url_switches_scheduler_and_dupefilter():
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    settings.set("REDIS_URL", "redis://127.0.0.1:1/0", "cmdline")
    settings.set("DISTRIBUTED_JOB", "2026-01-02", "cmdline")
    settings.set("SCHEDULER_PERSIST", False, "cmdline")  # would wipe the queue under the other workers
    Docsites().update_settings(settings)  # the docsites add-on applies the distributed one
    assert settings.get("SCHEDULER") == "crawler.distributed.LeasedScheduler"
    assert settings.get("DUPEFILTER_CLASS") == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST") is True
    assert settings.get("SCHEDULER_QUEUE_KEY") % {"spider": "docsites"} == redis_keys("2026-01-02")["requests"]
    assert "crawler.extensions.idleclose.IdleClose" in settings.getdict("EXTENSIONS")
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["crawler.downloadermiddlewares.budget.HostBudgetMiddleware"] is None
    assert middlewares["crawler.distributed.SharedHostBudget"] == 120


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
        logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
        procs = [_spawn(crawl_command(db, {"sites": "wnwk"}, settings), log) for db, log in zip(dbs, logs, strict=True)]
        outputs = _finish(procs, logs, timeout=90)  # idle close: each exits by itself, or this raises
        for proc, out in zip(procs, outputs, strict=True):
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
    import random

    from pipelines.ingest import Ingestor
    from pipelines.model import Page
    from tests.sitefarm import document_page, make_text
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


def _spawn(command, log_path):
    """A crawl process writing its output to `log_path` (the child holds its own descriptor of the file)."""
    with open(log_path, "w") as log:
        return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def _finish(procs, logs, timeout=150):
    """The output of each process in `procs` (written to the paths `logs`) once they have exited."""
    for proc in procs:
        proc.wait(timeout=timeout)
    return [log.read_text() for log in logs]


def _corpus(path):
    """What a corpus holds, independent of row order and of which run stored it."""
    db = store.open_db(path)
    return {
        "documents": sorted((r["id"], r["url"], r["part"], r["title"], r["text"]) for r in db["documents"].rows),
        "duplicates": sorted((r["url"], r["part"], r["dup_of"], r["kind"]) for r in db["duplicates"].rows),
        "rejected": sorted((r["url"], r["part"], r["reason"]) for r in db["rejected"].rows),
    }


def test_a_killed_worker_loses_nothing(redis_url, tmp_path):
    """Two workers; one is killed with SIGKILL mid-crawl and started again. The requests it had in
    flight go back into the queue after its lease: nothing is lost, nothing else is fetched twice,
    robots.txt holds on every worker, and the merged corpus equals a single-process crawl's."""
    import os
    import signal

    import redis
    farm = SiteFarm()
    site = farm.add(profile_site("wnwk", n_docs=30, per_listing=30, latency=0.6))
    farm.start()
    client = redis.Redis.from_url(redis_url)
    try:
        dbs = [str(tmp_path / f"worker{i}.db") for i in (1, 2)]
        settings = {"SITE_BASE_URLS": farm.base_urls(), "REDIS_URL": redis_url, "DISTRIBUTED_JOB": "kill",
                    "MAX_IDLE_TIME_BEFORE_CLOSE": "2", "DISTRIBUTED_LEASE_TIMEOUT": "3", "CONCURRENT_REQUESTS": "2",
                    "DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0, "concurrency": 2}},
                    "ALLOWED_ADDRESSES": "127.0.0.1"}

        def start(i, log):
            return _spawn(crawl_command(dbs[i - 1], {"sites": "wnwk"},
                                        {**settings, "USER_AGENT": f"docsites-test/worker{i}"}), log)

        logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
        procs = [start(1, logs[0]), start(2, logs[1])]
        deadline = time.monotonic() + 60
        mine = lambda: [h for h in site.hits(prefix="/doc/") if "worker1" in h[2].get("User-Agent", "")]  # noqa: E731
        while len(mine()) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(mine()) >= 4, "worker 1 fetched no documents in time"
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].wait(10)
        taken = [k for k in client.keys("docsites:kill:taken:*") if f"-{procs[0].pid}-".encode() in k]
        assert len(taken) == 1, taken
        in_flight = client.zrange(taken[0], 0, -1)
        assert in_flight, "the killed worker held no request"
        time.sleep(1)  # its writer commits what it had and leaves
        restarted = tmp_path / "worker1-again.log"
        outputs = _finish([procs[1], start(1, restarted)], [logs[1], restarted])
        for out in outputs:
            assert "Spider closed (finished)" in out, out[-3000:]
        assert any("has no heartbeat" in out for out in outputs), "no worker recovered the killed one's requests"

        # the killed worker's requests in flight are the only pages fetched twice
        import pickle
        in_flight_paths = {pickle.loads(r)["url"].replace(site.base, "") for r in in_flight}
        twice = {p for p in set(h[1] for h in site.hits()) if p != "/robots.txt" and len(site.hits(p)) > 1}
        assert twice <= in_flight_paths, (twice, in_flight_paths)
        assert not site.hits(prefix="/download/"), "a worker fetched a page robots.txt disallows"
        for path in site.docs:
            assert site.hits(path), f"{path} was never fetched"
        for raw in client.smembers("docsites:kill:workers"):
            pytest.fail(f"worker {raw!r} left itself registered")
        assert client.zcard("docsites:kill:requests") == 0

        merged = str(tmp_path / "corpus.db")
        result = CliRunner().invoke(cli, ["merge", "--db", merged, *dbs, "--workers", "1"])
        assert result.exit_code == 0, result.output
        assert store.check_invariant(store.open_db(merged)) == []

        # one process alone, no Redis, the same site: the same corpus
        single = str(tmp_path / "single.db")
        run = subprocess.run(crawl_command(single, {"sites": "wnwk"},
                                           {"SITE_BASE_URLS": farm.base_urls(), "ALLOWED_ADDRESSES": "127.0.0.1"}),
                             cwd=ROOT, capture_output=True, text=True, timeout=150)
        assert run.returncode == 0, run.stderr[-3000:]
    finally:
        farm.stop()
    got, expected = _corpus(merged), _corpus(single)
    assert len(expected["documents"]) >= len(site.docs)
    assert got == expected


def test_redis_clean_deletes_a_finished_jobs_keys_only(redis_url):
    import redis
    client = redis.Redis.from_url(redis_url)
    for job in ("2026-01-01", "2026-01-0*", "other"):
        keys = redis_keys(job)
        client.sadd(keys["dupefilter"], "fp")
        client.sadd(keys["budget"] + "*", "http://127.0.0.1:1/a")
    client.set(redis_keys("2026-01-01")["alive"] + "w1", 1)
    run = lambda *args: CliRunner().invoke(cli, ["redis-clean", *args, "--redis-url", redis_url])  # noqa: E731
    refused = run("2026-01-01")
    assert refused.exit_code == 1 and "not finished" in refused.output and "1 workers alive" in refused.output
    client.delete(redis_keys("2026-01-01")["alive"] + "w1")
    assert run("2026-01-01", "--dry-run").exit_code == 0
    assert client.exists(redis_keys("2026-01-01")["dupefilter"])
    result = run("2026-01-01")
    assert result.exit_code == 0, result.output
    assert "deleted 2 keys" in result.output
    assert not client.keys("docsites:2026-01-01:*")
    # a job name with a glob character matches itself only
    assert run("2026-01-0*").exit_code == 0
    assert not client.keys("docsites:2026-01-0\\*:*")
    assert len(client.keys("docsites:other:*")) == 2
    assert "no keys" in run("2026-01-01").output


def test_merge_keeps_the_same_copy_whatever_the_order(tmp_path):
    """Three workers hold copies of one document under three URLs: a short one fetched first, a more
    complete one, and an equal second copy of that. Merged in every order of the sources, the
    corpus is the same: the more complete copy is the document (ties: the copy fetched first), the
    others duplicates of it, with the same ids."""
    import random

    from pipelines.ingest import Ingestor
    from pipelines.model import Page
    from tests.sitefarm import document_page, make_text
    paragraphs = make_text(random.Random(7), 7, min_chars=1200)
    short = document_page("article", 1, "2023年科技局工作总结", paragraphs[:len(paragraphs) * 2 // 3], "通用文库", "/", [])
    full = document_page("article", 1, "2023年科技局工作总结", paragraphs, "通用文库", "/", [])
    dbs = []
    for i, (url, body) in enumerate([("http://127.0.0.1:1/z/1.html", short), ("http://127.0.0.1:2/m/1.html", full),
                                     ("http://127.0.0.1:3/a/1.html", full)]):
        path = str(tmp_path / f"w{i}.db")
        Ingestor(store.open_db(path)).ingest(Page(url=url, body=body.encode(), status=200,
                                                  headers={"content-type": "text/html; charset=utf-8"},
                                                  fetched_at=f"2026-01-01T00:00:0{i}Z"))
        dbs.append(path)
    corpora = []
    for n, order in enumerate(itertools.permutations(dbs)):
        merged = str(tmp_path / f"merged{n}.db")
        result = CliRunner().invoke(cli, ["merge", "--db", merged, *order, "--workers", "1"])
        assert result.exit_code == 0, result.output
        assert store.check_invariant(store.open_db(merged)) == []
        corpora.append(_corpus(merged))
    assert all(c == corpora[0] for c in corpora), "the merge order changed the corpus"
    (doc,) = corpora[0]["documents"]
    assert len(corpora[0]["duplicates"]) == 2
    assert doc[4] == store.open_db(dbs[1]).execute("SELECT text FROM documents").fetchone()[0]  # the full copy


def test_limits_hold_for_the_whole_crawl(redis_url, tmp_path):
    """max_pages and the host's download delay are the crawl's, not each worker's: two workers
    together request at most max_pages pages, at least the delay apart."""
    farm = SiteFarm()
    site = farm.add(profile_site("wnwk", n_docs=20, per_listing=20, latency=0.05))
    farm.start()
    try:
        settings = {"SITE_BASE_URLS": farm.base_urls(), "REDIS_URL": redis_url, "DISTRIBUTED_JOB": "limits",
                    "MAX_IDLE_TIME_BEFORE_CLOSE": "2", "CONCURRENT_REQUESTS": "2", "ALLOWED_ADDRESSES": "127.0.0.1",
                    "DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0.8, "concurrency": 2}}}
        logs = [tmp_path / f"worker{i}.log" for i in (1, 2)]
        procs = [_spawn(crawl_command(str(tmp_path / f"worker{i}.db"), {"sites": "wnwk", "max_pages": 12},
                                      {**settings, "USER_AGENT": f"docsites-test/worker{i}"}), log)
                 for i, log in zip((1, 2), logs, strict=True)]
        outputs = _finish(procs, logs)
    finally:
        farm.stop()
    for out in outputs:
        assert "Spider closed" in out, out[-3000:]
    pages = sorted(h for h in site.hits() if h[1] != "/robots.txt")
    assert len(pages) == 12, [h[1] for h in pages]
    agents = {h[2].get("User-Agent") for h in pages}
    assert len(agents) == 2, f"one worker did all the work: {agents}"
    # 0.8 s apart on Redis's clock; arrival here jitters on a busy machine, so the spread is what
    # counts: two workers each keeping only their own delay would take about half as long
    gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(pages))
    assert sum(gaps) > 0.9 * 0.8 * len(gaps) and gaps[len(gaps) // 2] > 0.6, gaps

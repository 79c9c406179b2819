"""Resumable crawls: Ctrl-C with JOBDIR and a resume give the corpus of an uninterrupted crawl;
`kill -9` loses at most the pages in flight and never corrupts corpus.db."""
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from pipelines import store
from tests.sitefarm import ROOT, crawl_command, profile_site, run_crawl

# slow enough to stop mid-crawl: 0.15 s per response, two at a time
SLOW = {"DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0, "concurrency": 2}}}


@pytest.fixture
def site():
    site = profile_site("jinchutou", n_docs=24, per_listing=4, latency=0.15).start()
    yield site
    site.stop()


def corpus(db_path):
    """Outcome of every page by URL: what a crawl produced, whatever the timing."""
    db = store.open_db(db_path)
    rows = db.execute("""SELECT p.url, d.title, d.text, r.reason, u.dup_of FROM pages p
                         LEFT JOIN documents d ON d.url = p.url LEFT JOIN rejected r ON r.url = p.url
                         LEFT JOIN duplicates u ON u.url = p.url""").fetchall()
    return {url: rest for url, *rest in rows}


def pages_in(db_path):
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            return conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0


def start_and_stop(cmd, sig, ready):
    """Start a crawl in its own process group; once `ready()`, send `sig` to the group (what
    Ctrl-C in a terminal does)."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    return proc.returncode, err


def test_pause_and_resume_gives_the_same_corpus(site, tmp_path):
    whole = str(tmp_path / "whole.db")
    run_crawl(whole, {"sites": "jinchutou"}, {"SITE_BASE_URLS": {"jinchutou": site.base}, **SLOW})
    site.reset_log()

    paused = str(tmp_path / "paused.db")
    settings = {"SITE_BASE_URLS": {"jinchutou": site.base}, "JOBDIR": str(tmp_path / "job"), **SLOW}
    cmd = crawl_command(paused, {"sites": "jinchutou"}, settings)
    # stop once the server has answered 6 requests: how fast pages get processed does not matter
    code, err = start_and_stop(cmd, signal.SIGINT, lambda: len(site.log) >= 6)
    assert code == 0, err[-3000:]
    first = pages_in(paused)
    assert first < len(corpus(whole)), "the crawl finished before it could be paused"
    db = store.open_db(paused)
    assert list(db["crawl_runs"].rows)[-1]["finish_reason"] == "shutdown"
    assert store.check_invariant(db) == []
    db.close()

    run_crawl(paused, {"sites": "jinchutou"}, settings)
    assert corpus(paused) == corpus(whole)
    assert all(len(site.hits(p)) == 1 for p in site.docs), "a page was fetched twice across pause and resume"
    runs = list(store.open_db(paused)["crawl_runs"].rows)
    assert [r["finish_reason"] for r in runs] == ["shutdown", "finished"]


def test_kill_9_never_corrupts_the_corpus(site, tmp_path):
    db_path = str(tmp_path / "killed.db")
    settings = {"SITE_BASE_URLS": {"jinchutou": site.base}, **SLOW}
    code, _ = start_and_stop(crawl_command(db_path, {"sites": "jinchutou"}, settings), signal.SIGKILL,
                             lambda: pages_in(db_path) >= 6)
    assert code == -signal.SIGKILL
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db = store.open_db(db_path)
    assert store.check_invariant(db) == []
    kept = db["pages"].count
    assert 0 < kept < len(site.docs)
    assert list(db["crawl_runs"].rows)[-1]["finished_at"] is None  # the run did not finish
    db.close()
    # the next run completes the corpus
    run_crawl(db_path, {"sites": "jinchutou"}, settings)
    db = store.open_db(db_path)
    docs = {r["url"] for r in db["documents"].rows}
    assert docs == {site.url(p) for p in site.docs}
    assert store.check_invariant(db) == []


# --- a run cut short: the next run reaches what it did not ------------------------------------------
def chain_site(n_docs: int, latency: float = 0.0):
    """Generic-mode site whose documents are reached only through each other: the home page links
    /doc/1.html, and /doc/N.html links /doc/N+1.html (and a listing beside it)."""
    import random

    from tests.sitefarm import FakeSite, Reply, document_page, listing_page, make_text, make_title
    site = FakeSite("chain", latency)
    rng = random.Random("chain")
    for i in range(1, n_docs + 1):
        path, title = f"/doc/{i}.html", make_title(rng, i)
        nxt = [(f"/doc/{i + 1}.html", "下一篇")] if i < n_docs else []
        site.routes[path] = Reply.html(document_page(("article", "kv-header")[i % 2], i, title, make_text(rng, i),
                                                     "连环文库", "/", nxt + [(f"/list/{i}.html", "同类")]))
        site.routes[f"/list/{i}.html"] = Reply.html(listing_page("连环文库", f"同类 {i}", nxt))
        site.docs[path] = title
    site.routes["/"] = Reply.html(listing_page("连环文库", "首页", [("/doc/1.html", "第一篇")]))
    return site


def test_a_run_cut_short_by_max_pages_is_completed_by_the_next(tmp_path):
    site = chain_site(6).start()
    whole, cut = str(tmp_path / "whole.db"), str(tmp_path / "cut.db")
    try:
        run_crawl(whole, {"start_urls": site.base + "/"})
        run_crawl(cut, {"start_urls": site.base + "/", "max_pages": "3"})
        assert 0 < store.open_db(cut)["documents"].count < 6
        site.reset_log()
        run_crawl(cut, {"start_urls": site.base + "/"})
        assert corpus(cut) == corpus(whole)
        # the documents stored before were not fetched again (RECRAWL_AFTER), only re-read
        assert site.hits("/doc/1.html") == [] and site.hits("/doc/6.html")
    finally:
        site.stop()


def test_kill_9_at_20_random_moments_then_one_run_gives_the_uninterrupted_corpus(tmp_path):
    """`kill -9` of the whole crawl (process, extraction workers, writer) at 20 random moments, each
    run starting over the corpus the last one left: in start-up, or a few requests into the run (so
    each killed run gets a little further, and pages are in flight and being written when it dies).
    Each time integrity holds and every stored document is whole (as the uninterrupted crawl stored
    it); one more run ends with the uninterrupted crawl's corpus."""
    import random
    rng = random.Random(11)
    site = chain_site(40).start()
    settings = {"DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0, "concurrency": 2}}}
    whole, killed = str(tmp_path / "whole.db"), str(tmp_path / "killed.db")
    try:
        run_crawl(whole, {"start_urls": site.base + "/"}, settings)
        reference = corpus(whole)
        ref_docs = {r["url"]: (r["title"], r["text"]) for r in store.open_db(whole)["documents"].rows}
        kills = 0
        while kills < 20:
            site.reset_log()
            proc = subprocess.Popen(crawl_command(killed, {"start_urls": site.base + "/"}, settings), cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            if rng.random() < 0.25:
                time.sleep(rng.uniform(0.1, 2.0))  # in start-up
            else:
                target, deadline = rng.randint(1, 5), time.monotonic() + 60
                while len(site.log) < target and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.1))
            if proc.poll() is not None:  # it finished first: not a kill
                continue
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            kills += 1
            if not os.path.exists(killed):
                continue
            with sqlite3.connect(killed) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            db = store.open_db(killed)
            assert store.check_invariant(db) == []
            for row in db["documents"].rows:  # no half-written document
                assert (row["title"], row["text"]) == ref_docs[row["url"]], row["url"]
            db.close()
        assert pages_in(killed) < len(reference), "the kills did not interrupt the crawl"
        run_crawl(killed, {"start_urls": site.base + "/"}, settings)
        assert corpus(killed) == reference
    finally:
        site.stop()


def test_a_resumed_job_obeys_robots_txt_for_every_queued_request(tmp_path):
    """Resuming a JOBDIR, the whole saved queue of a host waits for its robots.txt at once."""
    from tests.sitefarm import Reply, listing_page
    site = profile_site("jinchutou", n_docs=4, latency=0.1)
    links = [(f"/download/{i}", "下载") for i in range(40)] + [(f"/p-{1000 + i}.html", "文") for i in range(4)]
    site.routes["/"] = Reply.html(listing_page("金锄头文库", "首页", links))
    site.start()
    job = str(tmp_path / "job")
    db_path = str(tmp_path / "corpus.db")
    # generic mode, so the spider itself would follow the /download/ links: only robots.txt stops them
    cmd = crawl_command(db_path, {"start_urls": site.base + "/"},
                        {"JOBDIR": job, "DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0.3, "concurrency": 1}}})
    try:
        code, err = start_and_stop(cmd, signal.SIGINT, lambda: len(site.hits(prefix="/p-")) >= 1)
        assert code == 0, err[-3000:]
        run_crawl(db_path, {"start_urls": site.base + "/"}, {"JOBDIR": job})
        assert site.hits(prefix="/download/") == []
        assert len(site.hits("/robots.txt")) == 2
        assert {p for _, p, _ in site.log if p.startswith("/p-")} == set(site.docs)
    finally:
        site.stop()

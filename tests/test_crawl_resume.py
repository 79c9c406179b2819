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

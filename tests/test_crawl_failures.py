"""Requests that never got a response — a timeout, a refused connection, a body over
DOWNLOAD_MAXSIZE — end in one place too: a `fetch_error` rejection with the reason, and a pages row
(status 0) so the next run asks again; a stored page that fails later keeps its document."""
import socket
import time

from pipelines import store
from tests.sitefarm import Reply, generic_site, listing_page, run_crawl

SETTINGS = {"DOWNLOAD_TIMEOUT": "1", "RETRY_TIMES": "1", "DOWNLOAD_MAXSIZE": "100000", "RECRAWL_AFTER": "0"}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rejection(db, url):
    row = db.execute("SELECT reason, detail FROM rejected WHERE url = ?", [url]).fetchone()
    return tuple(row) if row else None


def test_requests_without_a_response_are_accounted_for(tmp_path):
    site = generic_site(n_docs=3, trap=False)
    slow = {"on": True}

    def slow_page(site_, headers):
        if slow["on"]:
            time.sleep(2.5)  # past DOWNLOAD_TIMEOUT
        return site_.routes["/doc/2.html"]
    site.routes["/slow.html"] = slow_page
    site.routes["/big.html"] = Reply.html("<html><body><p>" + "大" * 200_000 + "</p></body></html>")
    site.routes["/"] = Reply.html(listing_page("通用文库", "首页", [
        ("/doc/1.html", "第一篇"), ("/doc/2.html", "第二篇"), ("/doc/3.html", "第三篇"),
        ("/slow.html", "慢"), ("/big.html", "大")]))
    site.start()
    gone = f"http://127.0.0.1:{closed_port()}/doc/9.html"
    db_path = str(tmp_path / "corpus.db")
    try:
        run_crawl(db_path, {"start_urls": f"{site.base}/,{gone}"}, SETTINGS)
        db = store.open_db(db_path)
        assert rejection(db, site.url("/slow.html"))[0] == "fetch_error"
        assert "TimeoutError" in rejection(db, site.url("/slow.html"))[1]
        assert rejection(db, site.url("/big.html"))[0] == "fetch_error"
        assert rejection(db, gone)[0] == "fetch_error" and "ConnectionRefused" in rejection(db, gone)[1]
        failed = db.execute("SELECT url, status, error FROM pages WHERE status = 0 ORDER BY url").fetchall()
        assert {r[0] for r in failed} == {site.url("/slow.html"), site.url("/big.html"), gone}
        assert all(r[2] for r in failed)
        assert db["documents"].count == 3
        assert store.check_invariant(db) == []
        run = db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
        assert '"docsites/rejected"' in run

        # the next run asks again: the slow page answers now and becomes a duplicate of /doc/2.html;
        # /doc/1.html, stored, times out this time and keeps its document
        slow["on"] = False
        first = site.routes["/doc/1.html"]

        def now_slow(site_, headers):
            time.sleep(2.5)
            return first
        site.routes["/doc/1.html"] = now_slow
        run_crawl(db_path, {"start_urls": f"{site.base}/"}, SETTINGS)
        db = store.open_db(db_path)
        assert rejection(db, site.url("/slow.html")) is None
        assert db.execute("SELECT kind FROM duplicates WHERE url = ?", [site.url("/slow.html")]).fetchone()
        assert db.execute("SELECT 1 FROM documents WHERE url = ?", [site.url("/doc/1.html")]).fetchone()
        assert db.execute("SELECT status FROM pages WHERE url = ?", [site.url("/doc/1.html")]).fetchone()[0] == 200
        assert store.check_invariant(db) == []
    finally:
        site.stop()


def test_a_rebuild_keeps_fetch_errors(tmp_path):
    """`docsites rebuild` re-reads stored pages: a failure's row gives the same rejection again."""
    from pipelines.ingest import Ingestor
    from pipelines.model import Page
    db = store.open_db(str(tmp_path / "c.db"))
    Ingestor(db).ingest(Page("http://a.example/x.html", b"", status=0, error="TimeoutError: took longer than 1.0 seconds"))
    page = store.get_page(db, "http://a.example/x.html")
    assert page.error == "TimeoutError: took longer than 1.0 seconds"
    Ingestor(db).ingest(page)
    assert rejection(db, "http://a.example/x.html") == ("fetch_error", "TimeoutError: took longer than 1.0 seconds")
    assert store.check_invariant(db) == []

"""A crawl of the hostile loopback site (tests/faultserver.py): it finishes, every response ends in
exactly one place with a reason, nothing leaves loopback or reads local files, robots.txt holds for
every waiting request, credentials and cookies are not kept, memory stays bounded, and a second
crawl while the site fails on every stored page loses or changes nothing."""
import glob
import os
import subprocess

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipelines import store
from tests.faultserver import FAULTS, GBK_QUERIES, FaultServer
from tests.proctree import TreeSampler
from tests.sitefarm import ROOT, crawl_command

MiB = 1024 * 1024
SETTINGS = {"DOWNLOAD_TIMEOUT": "2", "RETRY_TIMES": "1", "DOWNLOAD_MAXSIZE": str(8 * MiB), "DEPTH_LIMIT": "6",
            "RECRAWL_AFTER": "0", "REDIRECT_MAX_TIMES": "5"}


def crawl(db_path, server, settings):
    """The real `scrapy crawl`; returns (stderr, peak RSS of its process tree)."""
    proc = subprocess.Popen(crawl_command(db_path, {"start_urls": ",".join(server.start_urls())}, settings),
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    with TreeSampler(proc, interval=0.05) as sampler:
        try:
            _, err = proc.communicate(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise AssertionError("the crawl did not finish") from None
    assert proc.returncode == 0, err[-3000:]
    return err, sampler.peak_rss


def snapshot(db):
    return {r["id"]: (r["url"], r["title"], r["text"], r["content_hash"]) for r in db["documents"].rows}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    server = FaultServer(tmp).start()
    db_path = str(tmp / "corpus.db")
    settings = {**SETTINGS, "WARC_DIR": str(tmp / "warc")}
    try:
        log, peak = crawl(db_path, server, settings)
        db = store.open_db(db_path)
        first = snapshot(db)
        pages_first = db["pages"].count
        db.close()
        # the site turns on every page the corpus holds: resets, stalls, 500s, garbage
        server.hostile = True
        log2, peak2 = crawl(db_path, server, {**SETTINGS, "WARC_DIR": str(tmp / "warc2")})
        yield dict(server=server, db=store.open_db(db_path), log=log + log2, peak=max(peak, peak2),
                   first=first, pages_first=pages_first, warc=str(tmp / "warc"))
    finally:
        server.stop()


def outcome(db, url):
    """'documents' | 'duplicates' | 'rejected:<reason>' for the page requested (or redirected to) as `url`."""
    rows = db.execute("""SELECT p.url, d.id, u.kind, r.reason FROM pages p
                         LEFT JOIN documents d ON d.url = p.url LEFT JOIN duplicates u ON u.url = p.url
                         LEFT JOIN rejected r ON r.url = p.url WHERE p.url = ? OR p.final_url = ?""",
                      [url, url]).fetchall()
    assert len(rows) == 1, (url, rows)
    _, doc, dup, reason = rows[0]
    return "documents" if doc else "duplicates" if dup else f"rejected:{reason}"


def test_every_fault_ends_in_exactly_one_place_with_a_reason(crawled):
    db, server = crawled["db"], crawled["server"]
    assert store.check_invariant(db) == []
    for path, (what, expected) in FAULTS.items():
        got = outcome(db, server.url(path))
        if expected == "one place":
            assert got in ("documents", "duplicates") or got.startswith("rejected:fetch_error"), (path, got)
        else:
            assert got.startswith(expected), (path, what, got)
    for url, reason, detail in db.execute("SELECT url, reason, detail FROM rejected").fetchall():
        assert reason, url
        if reason == "fetch_error":
            assert detail, url
    # every document page is a document (or a duplicate of one, under a redirect's first URL)
    for path in server.docs:
        assert outcome(db, server.url(path)) in ("documents", "duplicates"), path


def test_a_gzip_bomb_and_a_redirect_loop_leave_a_row_with_their_reason(crawled):
    db, server = crawled["db"], crawled["server"]
    detail = dict(db.execute("SELECT url, detail FROM rejected").fetchall())
    assert "DOWNLOAD_MAXSIZE" in detail[server.url("/bomb.html")]
    assert "redirect loop" in detail[server.url("/loop/a")]
    assert "fetched in this crawl" in detail.get(server.url("/go/3"), "fetched in this crawl")


def test_no_local_file_and_no_other_scheme_is_read(crawled):
    db, server = crawled["db"], crawled["server"]
    schemes = {url.split(":", 1)[0] for (url,) in db.execute("SELECT url FROM pages UNION SELECT final_url FROM pages")}
    assert schemes <= {"http"}, schemes
    assert db.execute("SELECT count(*) FROM documents WHERE text LIKE ?",
                      [f"%{server.secret_phrase}%"]).fetchone()[0] == 0


def test_robots_txt_holds_for_every_request_that_waited_for_it(crawled):
    assert crawled["server"].hits("/download/") == []
    assert len(crawled["server"].hits("/robots.txt")) == 2  # once per run


def test_redirects_never_leave_the_origin_or_reach_a_non_public_address(crawled):
    db, server = crawled["db"], crawled["server"]
    assert server.hits("other:") == []
    detail = dict(db.execute("SELECT url, detail FROM rejected").fetchall())
    assert "host and port" in detail[server.url("/go/other-port")]
    assert "host and port" in detail[server.url("/go/private-name")]
    assert "non-public" in detail[server.url("/go/metadata")]


def test_credentials_in_links_are_never_stored_or_logged(crawled):
    db = crawled["db"]
    dumped = "\n".join(str(row) for table in ("pages", "rejected", "crawl_runs", "documents", "duplicates")
                       for row in db.execute(f"SELECT * FROM [{table}]").fetchall())
    for secret in ("s3cr3t-pw", "hunter2", "alice:", "bob:"):
        assert secret not in dumped and secret not in crawled["log"], secret
    assert outcome(db, crawled["server"].url("/doc/9.html")) == "documents"


def test_warc_records_keep_no_cookie_and_carry_the_reason_phrase(crawled):
    statuses, cookies = set(), 0
    for path in glob.glob(os.path.join(crawled["warc"], "*.warc.gz")):
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    statuses.add(record.http_headers.statusline)
                    cookies += sum(1 for k, _ in record.http_headers.headers if k.lower() in ("set-cookie", "cookie"))
    assert "200 OK" in statuses and "500 Internal Server Error" in statuses and cookies == 0


def test_gbk_query_strings_keep_their_bytes(crawled):
    server = crawled["server"]
    asked = {p.split("?", 1)[1] for p in server.hits("/search?")}
    assert asked == {"&".join(sorted(q.split("&"))) for q in GBK_QUERIES}


def test_memory_stays_bounded(crawled):
    assert crawled["peak"] < 1024 * MiB, crawled["peak"] / MiB


def test_a_hostile_second_crawl_loses_and_changes_nothing(crawled):
    db = crawled["db"]
    assert snapshot(db) == crawled["first"]
    assert db["pages"].count >= crawled["pages_first"]
    assert store.check_invariant(db) == []
    stats = db.execute("SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert '"docsites/kept_on_error"' in stats

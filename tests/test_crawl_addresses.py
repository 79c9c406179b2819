"""The crawl refuses what crawler/addresses.py refuses, end to end: a start URL on a loopback
address or a name resolving to one, when ALLOWED_ADDRESSES does not name it, is never connected
to and is recorded as a `fetch_error` rejection with the reason; only http(s) links are followed,
in generic and in profile mode. (The fake sites listen on 127.0.0.1 only, and the crawl is told
to allow 127.0.0.2 — a refusal that failed would reach our own test server, nothing else.)"""
from pipelines import store
from tests.sitefarm import Reply, listing_page, profile_site, run_crawl


def test_start_urls_on_addresses_not_allowed_are_refused_unconnected(tmp_path):
    site = profile_site("jinchutou", n_docs=2).start()
    port = site.base.rsplit(":", 1)[1]
    literal, name = f"http://127.0.0.1:{port}/", f"http://localhost:{port}/"
    db_path = str(tmp_path / "corpus.db")
    try:
        run_crawl(db_path, {"start_urls": f"{literal},{name}"}, {"ALLOWED_ADDRESSES": "127.0.0.2"})
        assert site.log == []  # not even robots.txt
        db = store.open_db(db_path)
        detail = dict(db.execute("SELECT url, detail FROM rejected WHERE reason = 'fetch_error'").fetchall())
        assert "127.0.0.1 is a non-public address" in detail[literal]
        assert "refused localhost: 127.0.0.1 is a non-public address" in detail[name]
        assert store.check_invariant(db) == []
    finally:
        site.stop()


def test_file_and_ftp_links_are_never_followed(tmp_path):
    secret = tmp_path / "p-4242.html"
    secret.write_text("<html><body><p>" + "本机文件不得入库。" * 60 + "</p></body></html>", encoding="utf-8")
    site = profile_site("jinchutou", n_docs=2)
    site.start()
    host = site.base.split("//", 1)[1]
    # shaped like the profile's document pages (/p-N.html), on the site's own host:port
    links = [(f"file://{host}{secret}", "本地"), (f"file://{host}/p-4242.html", "本地文档"),
             (f"ftp://{host}/p-4243.html", "FTP文档"), (f"file://{secret}", "本地2")]
    site.routes["/"] = Reply.html(listing_page("金锄头文库", "首页", links + [("/p-1000.html", "文档")]))
    site.routes["/list-1.html"] = site.routes["/"]
    db_path, generic_db = str(tmp_path / "profile.db"), str(tmp_path / "generic.db")
    try:
        run_crawl(db_path, {"sites": "jinchutou"}, {"SITE_BASE_URLS": {"jinchutou": site.base}})
        run_crawl(generic_db, {"start_urls": site.base + "/"})
        for path in (db_path, generic_db):
            db = store.open_db(path)
            urls = [u for (u,) in db.execute("SELECT url FROM pages UNION SELECT final_url FROM pages")]
            assert urls and all(u.startswith("http://") for u in urls), urls
            assert db.execute("SELECT count(*) FROM documents WHERE text LIKE '%本机文件%'").fetchone()[0] == 0
            assert db.execute("SELECT count(*) FROM documents WHERE url LIKE '%/p-1000.html'").fetchone()[0] == 1
    finally:
        site.stop()

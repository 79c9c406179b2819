"""Incremental crawling: a second run revisits listings, skips fresh document pages, asks
conditionally for older ones, adds new documents and rewrites nothing unchanged."""
import json

import pytest

from pipelines import store
from tests.sitefarm import SiteFarm, add_document, change_document, generic_site, profile_site, run_crawl


@pytest.fixture
def farm():
    farm = SiteFarm()
    farm.add(profile_site("wnwk", n_docs=6, per_listing=3))
    farm.add(generic_site(n_docs=4, trap=False))
    farm.start()
    yield farm
    farm.stop()


def state(db):
    pages = dict(db.execute("SELECT url, fetched_at || sha1 FROM pages").fetchall())
    docs = dict(db.execute("SELECT url, updated_at || content_hash FROM documents").fetchall())
    return pages, docs


def test_second_run_skips_fresh_documents_and_adds_new_ones(farm, db_path):
    args = {"sites": "wnwk", "start_urls": farm["generic"].base + "/"}
    settings = {"SITE_BASE_URLS": {"wnwk": farm["wnwk"].base}}
    run_crawl(db_path, args, settings)
    pages1, docs1 = state(store.open_db(db_path))
    wnwk, generic = farm["wnwk"], farm["generic"]
    old_docs = {name: set(site.docs) for name, site in farm.sites.items()}
    new_path = add_document(wnwk, "wnwk", 5000, listing_n=2)
    for site in farm.sites.values():
        site.reset_log()

    run_crawl(db_path, args, settings)
    db = store.open_db(db_path)
    for name, site in farm.sites.items():
        fetched = {p for _, p, _ in site.log}
        assert not fetched & old_docs[name], f"{name}: fresh document pages fetched again"
    assert wnwk.hits("/") and wnwk.hits("/list/zongjie/1.html") and wnwk.hits("/list/zongjie/2.html")
    assert len(wnwk.hits(new_path)) == 1
    assert generic.hits("/") and generic.hits("/list/2.html")  # generic listings revisited too
    pages2, docs2 = state(db)
    new_url = wnwk.url(new_path)
    assert set(docs2) == set(docs1) | {new_url}
    assert {u: v for u, v in docs2.items() if u != new_url} == docs1  # nothing rewritten
    changed = {new_url, wnwk.url("/list/zongjie/2.html")}  # the new page and the listing that links it
    assert {u: v for u, v in pages2.items() if u not in changed} == \
        {u: v for u, v in pages1.items() if u not in changed}  # unchanged pages not rewritten
    assert pages2[wnwk.url("/list/zongjie/2.html")] != pages1[wnwk.url("/list/zongjie/2.html")]
    assert store.check_invariant(db) == []
    runs = list(db["crawl_runs"].rows)
    assert len(runs) == 2 and all(r["finish_reason"] == "finished" for r in runs)
    stats = json.loads(runs[-1]["stats"])
    assert stats["incremental/skipped_fresh"] >= len(old_docs["wnwk"]) and stats["docsites/documents"] == 1


def test_older_pages_get_conditional_requests(farm, db_path):
    settings = {"SITE_BASE_URLS": {"wnwk": farm["wnwk"].base}}
    run_crawl(db_path, {"sites": "wnwk"}, settings)
    wnwk = farm["wnwk"]
    pages1, docs1 = state(store.open_db(db_path))
    changed, gone = sorted(wnwk.docs)[:2]
    change_document(wnwk, "wnwk", changed)
    del wnwk.routes[gone]  # taken down: the site answers 404 now
    wnwk.reset_log()

    run_crawl(db_path, {"sites": "wnwk"}, {**settings, "RECRAWL_AFTER": 0})
    for path in wnwk.docs:
        (_, _, headers), = wnwk.hits(path)
        assert headers.get("If-None-Match") and headers.get("If-Modified-Since"), path
    db = store.open_db(db_path)
    pages2, docs2 = state(db)
    changed_url = wnwk.url(changed)
    # 304: page and document untouched; the changed page: new body, new text; the page taken down: kept
    assert {u: v for u, v in docs2.items() if u != changed_url} == {u: v for u, v in docs1.items() if u != changed_url}
    assert docs2[changed_url] != docs1[changed_url] and pages2[changed_url] != pages1[changed_url]
    assert pages2[wnwk.url(gone)] == pages1[wnwk.url(gone)]
    stats = json.loads(list(db["crawl_runs"].rows)[-1]["stats"])
    assert stats["docsites/not_modified"] == len(wnwk.docs) - 2
    assert stats["docsites/kept_on_error"] == 1
    assert store.check_invariant(db) == []

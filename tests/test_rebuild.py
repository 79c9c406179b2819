"""`docsites rebuild`: extraction and dedup again over stored pages, without the network."""
import json

import pytest
from click.testing import CliRunner

from docsites.cli import cli
from pipelines import store
from tests.sitefarm import SiteFarm, generic_site, profile_site, run_crawl


def snapshot(db):
    return {
        "documents": sorted(db.execute("SELECT id, url, part, text, first_seen FROM documents").fetchall()),
        "duplicates": sorted(db.execute("SELECT url, part, dup_of, kind FROM duplicates").fetchall()),
        "rejected": sorted(db.execute("SELECT url, part, reason FROM rejected").fetchall()),
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """A corpus crawled from a generic site and a profile site, then both servers stopped."""
    farm = SiteFarm()
    farm.add(generic_site(n_docs=5, trap=False))
    farm.add(profile_site("wnwk", n_docs=4, per_listing=2))
    farm.start()
    db_path = str(tmp_path_factory.mktemp("rebuild") / "corpus.db")
    run_crawl(db_path, {"start_urls": farm["generic"].base + "/", "sites": "wnwk"},
              {"SITE_BASE_URLS": {"wnwk": farm["wnwk"].base}})
    farm.stop()
    return db_path


def rebuild(db_path, *args, workers=1):
    result = CliRunner().invoke(cli, ["rebuild", "--db", db_path, "--workers", str(workers), *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_rebuild_without_rule_change_gives_the_same_corpus(crawled, tmp_path):
    db = store.open_db(crawled)
    before = snapshot(db)
    assert before["documents"] and before["rejected"]
    output = rebuild(crawled, workers=2)  # the servers are down: any network use would fail the pages
    assert "documents" in output
    assert snapshot(store.open_db(crawled)) == before  # ids and first_seen kept
    assert store.check_invariant(store.open_db(crawled)) == []


def test_rebuild_applies_a_rule_change_and_back(crawled):
    before = snapshot(store.open_db(crawled))
    rebuild(crawled, "--min-chars", "100000")
    db = store.open_db(crawled)
    assert db["documents"].count == 0
    reasons = {r[0] for r in db.execute("SELECT reason FROM rejected")}
    assert "too_short" in reasons
    assert store.check_invariant(db) == []
    # the profile's listing pages stay listings: not extracted, `not_a_document`
    listings = db.execute("""SELECT r.reason FROM page_roles p JOIN rejected r ON r.url = p.url
                             WHERE p.site = 'wnwk' AND p.role IN ('listing', 'start')""").fetchall()
    assert listings and {r[0] for r in listings} == {"not_a_document"}
    rebuild(crawled)
    after = snapshot(store.open_db(crawled))
    assert [d[:4] for d in after["documents"]] == [d[:4] for d in before["documents"]]
    run = list(store.open_db(crawled)["crawl_runs"].rows)[-1]
    assert run["spider"] == "rebuild" and json.loads(run["stats"])["pages"] == store.open_db(crawled)["pages"].count


def test_rebuild_of_a_missing_database_fails_cleanly(tmp_path):
    result = CliRunner().invoke(cli, ["rebuild", "--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 2 and "does not exist" in result.output
    assert not (tmp_path / "nope.db").exists()

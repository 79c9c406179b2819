"""`scrapy crawl docsites` over the bundled demo site, into a temporary database."""
import json
import os
import subprocess

from click.testing import CliRunner

from docsites.cli import cli
from pipelines import store
from tests.conftest import BIN, ROOT


def crawl_demo(site_url, db_path, *settings):
    proc = subprocess.run(
        [os.path.join(BIN, "scrapy"), "crawl", "docsites", "-a", f"start_urls={site_url}",
         "-s", f"CORPUS_DB={db_path}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
         "-s", "LOG_LEVEL=WARNING", "-s", "ALLOWED_ADDRESSES=127.0.0.1", *[a for s in settings for a in ("-s", s)]],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return store.open_db(db_path)


def test_crawl_demo_site_into_temporary_db(demo_site, tmp_path):
    db_path = str(tmp_path / "corpus.db")
    db = crawl_demo(demo_site, db_path)
    assert db["documents"].count >= 5
    assert store.check_invariant(db) == []
    urls = {r["url"] for r in db["pages"].rows}
    assert not any("/download/" in u for u in urls), "robots.txt disallows /download/"
    reasons = {r["reason"] for r in db["rejected"].rows}
    assert "language" in reasons  # the English page is accounted for, not stored
    run = list(db["crawl_runs"].rows)[-1]
    assert run["finish_reason"] == "finished" and json.loads(run["stats"])["item_scraped_count"] == db["pages"].count
    summary = CliRunner().invoke(cli, ["stats", "--db", db_path]).output
    assert "documents" in summary

    # the read-wall page shows a 45 % preview of the kv-header page's document
    [contained] = db.execute("SELECT url, dup_of FROM duplicates WHERE kind = 'contained'").fetchall()
    assert contained[0].endswith("/paper/5005.html")


def test_dedup_settings_reach_the_crawl(demo_site, tmp_path):
    """-s DEDUP_… overrides the dedup defaults in the writer process: a preview too short to count
    as contained is stored as a document of its own."""
    db = crawl_demo(demo_site, str(tmp_path / "corpus.db"), "DEDUP_MIN_CONTAINED_SHINGLES=1000000")
    assert db.execute("SELECT count(*) FROM duplicates WHERE kind = 'contained'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM documents WHERE url LIKE '%/paper/5005.html'").fetchone()[0] == 1
    assert store.check_invariant(db) == []

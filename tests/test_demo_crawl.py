"""`scrapy crawl docsites` over the bundled demo site, into a temporary database."""
import json
import os
import subprocess

from click.testing import CliRunner

from docsites.cli import cli
from pipelines import store
from tests.conftest import BIN, ROOT


def test_crawl_demo_site_into_temporary_db(demo_site, tmp_path):
    db_path = str(tmp_path / "corpus.db")
    proc = subprocess.run(
        [os.path.join(BIN, "scrapy"), "crawl", "docsites", "-a", f"start_urls={demo_site}",
         "-s", f"CORPUS_DB={db_path}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
         "-s", "LOG_LEVEL=WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    db = store.open_db(db_path)
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

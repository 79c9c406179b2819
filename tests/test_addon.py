"""The docsites add-on (crawler/addon.py) owns the crawl's defaults and components: a CrawlerProcess
with settings of its own and the add-on crawls as `scrapy crawl docsites` does; settings given
beside it win over its defaults."""
import json
import os
import sqlite3
import subprocess
import sys

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler.addon import Docsites
from crawler.pipelines import CorpusPipeline
from tests.sitefarm import ROOT, TEST_SETTINGS, generic_site

CRAWL = """
import json, sys
from scrapy.crawler import CrawlerProcess
from crawler.spiders.docsites import DocsitesSpider
settings, url = json.loads(sys.argv[1]), sys.argv[2]
process = CrawlerProcess(settings)
process.crawl(DocsitesSpider, start_urls=url)
process.start()
"""


def test_a_crawler_process_with_the_addon_crawls_as_the_project_does(tmp_path):
    site = generic_site(n_docs=4, trap=False).start()
    try:
        db_path = str(tmp_path / "out.db")
        settings = {**TEST_SETTINGS, "ADDONS": {"crawler.addon.Docsites": 0}, "CORPUS_DB": db_path}
        env = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
        env["PYTHONPATH"] = ROOT
        # run from an empty folder: no scrapy.cfg, so nothing of crawler/settings.py is read
        proc = subprocess.run([sys.executable, "-c", CRAWL, json.dumps(settings), site.base + "/"], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        db = sqlite3.connect(db_path)
        titles = {row[0] for row in db.execute("SELECT title FROM documents")}
        assert set(site.docs.values()) <= titles
        # the add-on's components and defaults ran: robots.txt obeyed, its User-Agent sent
        assert not site.hits(prefix="/download/")
        assert all(headers.get("User-Agent", "").startswith("docsites/") for _, _, headers in site.hits())
    finally:
        site.stop()


def test_settings_given_win_over_the_addon():
    settings = Settings({"DOWNLOAD_DELAY": 3, "DOWNLOADER_MIDDLEWARES": {
        "crawler.downloadermiddlewares.budget.HostBudgetMiddleware": None}})
    Docsites().update_settings(settings)
    assert settings.getfloat("DOWNLOAD_DELAY") == 3            # project priority over addon
    assert settings.getint("WRITER_BATCH_SIZE") == 100         # the add-on's default where none is given
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["crawler.downloadermiddlewares.budget.HostBudgetMiddleware"] is None
    assert middlewares["crawler.downloadermiddlewares.addresses.AddressGuardMiddleware"] == 10


def test_a_switched_off_pipeline_says_why():
    crawler = get_crawler(settings_dict={"ADDONS": {"crawler.addon.Docsites": 0}, "DOCSITES_PROCESSING": False})
    with pytest.raises(NotConfigured, match="DOCSITES_PROCESSING is off"):
        CorpusPipeline.from_crawler(crawler)

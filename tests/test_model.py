"""The records (pipelines/model.py) import no stage: the crawl process — its profiles, spider, add-on
and every component the add-on registers — runs without loading the extraction libraries, which
only the extraction workers need."""
import json
import subprocess
import sys

from pipelines.model import Extraction, SiteHints
from tests.sitefarm import ROOT

HEAVY = ("opencc", "langdetect", "readability", "trafilatura", "pipelines.extract", "pipelines.ingest")

IMPORT_THE_CRAWL = """
import json, sys
from scrapy.utils.misc import load_object
import crawler.profiles, crawler.spiders.docsites
from crawler.addon import COMPONENTS
for components in COMPONENTS.values():
    for path in components:
        if "." in path:  # DOWNLOAD_HANDLERS' keys are schemes
            load_object(path)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("opencc", "langdetect", "readability",
                                                                       "trafilatura", "pipelines"))))
"""


def test_the_crawl_process_does_not_import_the_extraction_libraries():
    proc = subprocess.run([sys.executable, "-c", IMPORT_THE_CRAWL], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "pipelines.model" in loaded  # the check sees what the crawl imports
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
    assert not {m for m in loaded if m.split(".")[0] in HEAVY[:4]}


def test_the_records_are_the_ones_extraction_uses():
    from pipelines import extract
    assert extract.SiteHints is SiteHints and extract.Extraction is Extraction
    hints = SiteHints(body_after=("正文",), stop_at=("相关文档",))
    assert hints.cut(["导航", "正文", "第一段", "相关文档", "尾"]) == ["第一段"]
    assert SiteHints(numbered_pages=True).family_of(None).numbered_pages is True

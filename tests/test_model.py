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


def test_report_metadata_fields_are_defined_once():
    """ReportMeta owns the six fields: a Document has them as its own (keyword-only), docmeta
    describes them, the corpus and exports name them from REPORT_FIELDS; a document's JSON keeps
    its key order (the report metadata after the document's own fields)."""
    from docsites.verbs import export
    from pipelines import store
    from pipelines.extract import docmeta
    from pipelines.model import REPORT_FIELDS, Document, ReportMeta
    assert REPORT_FIELDS == ("doc_types", "admin_level", "department", "region", "years", "doc_date")
    assert issubclass(Document, ReportMeta) and docmeta.FIELDS is REPORT_FIELDS
    meta = docmeta.describe("2023年宿城区科学技术局工作总结", "")
    doc = Document("http://a.example/1", 0, **meta.to_json())
    assert doc.department == meta.department and ReportMeta(**{f: getattr(doc, f) for f in REPORT_FIELDS}) == meta
    assert list(doc.to_json()) == ["url", "part", "site", "title", "text", "lang", "traditional", "truncated",
                                   "published", "meta", "quality", *REPORT_FIELDS]
    assert list(store.DOCUMENT_COLUMNS)[5:11] == list(REPORT_FIELDS)
    row = {**doc.to_json(), "meta": "{}", "quality": "{}", **store.report_metadata_row(doc)}
    assert row["doc_types"] == '["工作总结"]' and store.load_document(row) == doc  # JSON arrays and back
    assert export.FIELDS[6:12] == REPORT_FIELDS

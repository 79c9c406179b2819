"""`docsites report`: one self-contained HTML page whose charts carry the corpus's real figures."""
import re
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from docsites.cli import cli
from pipelines import store
from pipelines.model import Document, Rejection


@pytest.fixture
def corpus(db_path):
    db = store.open_db(db_path)
    crawl = store.start_run(db, "docsites", {"start_urls": "http://a.example/"})
    with store.transaction(db):
        for i in range(7):
            site = "a.example" if i < 5 else "<b>b.example</b>"
            store.record_document(db, Document(
                url=f"http://{site}/{i}", site=site, title=f"文件{i}", text="字" * (150 if i < 3 else 2500), lang="zh",
                published="2024-05-01", years=[2019 + i % 3] if i < 5 else [],
                doc_date="2021-12-30" if i == 5 else None, traditional=i == 0, truncated=i in (1, 2)),
                content_hash=str(i))
        store.record_duplicate(db, Document(url="http://c.example/1", site="c.example"), "x", "near", 0.9)
        store.record_duplicate(db, Document(url="http://c.example/2", site="c.example"), "x", "near", 0.95)
        store.record_duplicate(db, Document(url="http://c.example/3", site="c.example"), "x", "exact", 1.0)
        store.record_rejection(db, Rejection(url="http://a.example/en", reason="language", site="a.example"))
    store.finish_run(db, crawl, "finished", {"docsites/documents": 7, "docsites/duplicates": 3, "docsites/rejected": 1,
                                             "downloader/request_count": 12})
    ingest = store.start_run(db, "ingest", {"paths": ["x.warc"]})
    store.finish_run(db, ingest, "finished", {"documents": 2, "rejected": 4})
    db.close()
    return db_path


def bar_titles(page):
    """The hover titles of every bar: 'label: count'."""
    return re.findall(r"<rect [^>]*><title>([^<]*)</title>", page)


def test_report_is_self_contained_with_the_figures(corpus, tmp_path):
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--db", corpus, str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    # self-contained: nothing to fetch, nothing to run
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert page.count("<svg") >= 7
    # every SVG is well-formed XML
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        ET.fromstring(svg)
    titles = bar_titles(page)
    assert "a.example: 5" in titles and "&lt;b&gt;b.example&lt;/b&gt;: 2" in titles    # per site, escaped
    # per year: years, else doc_date's year; never published (all 2024 here)
    assert {"2019: 2", "2020: 2", "2021: 2", "unknown: 1"} <= set(titles) and "2024: 7" not in titles
    assert {"near: 2", "exact: 1"} <= set(titles) and "language: 1" in titles            # kinds and reasons
    assert "0–200: 3" in titles and "2,000–5,000: 4" in titles                           # length bins
    assert "1 of 7 (14.3%)" in page and "2 of 7 (28.6%)" in page                         # traditional, truncated
    runs = [t for t in titles if t.startswith("run ")]
    assert any("docsites" in t and "7 documents" in t for t in runs)                     # crawl stats keys
    assert any("ingest" in t and "4 rejected" in t for t in runs)                        # ingest stats keys
    assert "<b>b.example</b>" not in page


def test_empty_corpus_and_missing_db(db_path, tmp_path):
    store.open_db(db_path).close()
    out = tmp_path / "r.html"
    assert CliRunner().invoke(cli, ["report", "--db", db_path, str(out)]).exit_code == 0
    assert "No crawl or ingest runs recorded" in out.read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "none.db"), str(out)])
    assert result.exit_code == 1 and "no such database" in result.stderr

"""One way to report a failed page: extraction always answers with an Extraction; a page it could
not read carries a `Problem` (reason code + detail), whoever ran it (run_extraction in-process, an
extraction worker, the crawl's retry after a worker died), and the page's `rejected` row is written
from that problem in one place (pipelines/ingest.py `page_problem`)."""
import asyncio
import random

import pytest

from crawler.extractpool import WorkerDied
from crawler.pipelines import CorpusPipeline
from pipelines import ingest, store
from pipelines.ingest import Ingestor, page_problem, run_extraction
from pipelines.model import Extraction, Page, Problem

_RND = random.Random(1)
BINARY = bytes(_RND.randrange(256) for _ in range(5000))
NO_BODY = b"<html><head><title>t</title></head></html>"


@pytest.fixture
def ingestor(tmp_path):
    db = store.open_db(str(tmp_path / "corpus.db"))
    yield Ingestor(db)
    db.close()


def rejected(ingestor, url):
    return ingestor.db.execute("SELECT reason, detail FROM rejected WHERE url = ?", [url]).fetchone()


def test_undecodable_bytes_are_a_decode_error_problem_and_its_rejection(ingestor):
    page = Page(url="http://a.example/binary.bin", body=BINARY)
    result = run_extraction(page, budget=None)
    assert isinstance(result, Extraction) and result.problem.reason == "decode_error" and result.problem.detail
    [outcome] = ingestor.store(page, result)
    assert (outcome.table, outcome.detail) == ("rejected", "decode_error")
    assert rejected(ingestor, page.url) == (result.problem.reason, result.problem.detail)


def test_an_extractor_that_raises_is_an_extract_error_problem(ingestor, monkeypatch):
    def broken(page, hints=None):
        raise ValueError("a rule went wrong")
    monkeypatch.setattr(ingest, "extract_page", broken)
    page = Page(url="http://a.example/doc/1.html", body=b"<html><body><p>x</p></body></html>")
    result = run_extraction(page, budget=None)
    assert result.problem == Problem("extract_error", "ValueError: a rule went wrong") and not result.documents
    ingestor.store(page, result)
    assert rejected(ingestor, page.url) == ("extract_error", "ValueError: a rule went wrong")


def test_a_page_without_body_is_rejected_with_what_extraction_said(ingestor):
    page = Page(url="http://a.example/head-only.html", body=NO_BODY)
    result = run_extraction(page, budget=None)
    assert result.problem.reason == "not_a_document"
    ingestor.store(page, result)
    reason, detail = rejected(ingestor, page.url)
    assert reason == "not_a_document" and "<body>" in detail  # before: the generic "no document body found"


def test_page_problem_orders_the_reasons():
    ok = Extraction(documents=[object()])
    assert page_problem(Page(url="u", body=b"", status=0, error="timeout"), ok) == Problem("fetch_error", "timeout")
    assert page_problem(Page(url="u", body=b"", status=404), ok) == Problem("http_error", "HTTP 404")
    assert page_problem(Page(url="u", body=b""), Extraction.failed("decode_error", "no charset")).reason == "decode_error"
    assert page_problem(Page(url="u", body=b""), Extraction()) == Problem("not_a_document", "no document body found")
    assert page_problem(Page(url="u", body=b""), ok) is None
    assert str(Problem("extract_timeout", "past 20 s")) == "extract_timeout: past 20 s"


class _DyingPool:
    async def run(self, page, hints=None):
        raise WorkerDied("extraction worker died: exit code -9")


def test_the_crawl_reports_a_page_whose_worker_died_twice_as_a_problem(tmp_path):
    pipeline = CorpusPipeline(str(tmp_path / "corpus.db"), ["zh"], 10)
    pipeline.pool = _DyingPool()
    result = asyncio.run(pipeline.extract(Page(url="http://a.example/doc/1.html", body=b"<html></html>")))
    assert isinstance(result, Extraction) and result.problem.reason == "extract_error"
    assert "worker died" in result.problem.detail and not result.documents

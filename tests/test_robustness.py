"""Extraction on hostile input, property-based (hypothesis): random bytes, mutated HTML, text in any
charset, mutated WARC files. Every input finishes within its time budget with a result or a reason,
and ends in exactly one place in a real corpus.db."""
import glob
import io
import os
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines import store
from pipelines.extract import Extraction
from pipelines.ingest import Ingestor, run_extraction
from pipelines.inputs import InputError, read_pages
from pipelines.model import Page
from pipelines.timelimit import ExtractionTimeout
from tests.conftest import FIXTURES
from tests.test_extractpool import big_article

BUDGET = 3.0      # seconds per page in these tests
SLACK = 2.0       # the timer's own delay and the bookkeeping around it, on a loaded machine
FUZZ = settings(max_examples=100, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

SEEDS = sorted(glob.glob(os.path.join(FIXTURES, "extract", "*.html")) + glob.glob(os.path.join(FIXTURES, "decode", "*.html")))


def seed_pages() -> list[bytes]:
    out = []
    for path in SEEDS:
        with open(path, "rb") as f:
            out.append(f.read())
    return out


SEED_BODIES = seed_pages()


def extract_within_budget(page: Page):
    """run_extraction with the test budget: the result, after checking it came in time and is a
    result or a reason (never an unexpected exception)."""
    t0 = time.process_time()  # the budget is CPU time (pipelines/timelimit.py)
    result = run_extraction(page, budget=BUDGET)
    elapsed = time.process_time() - t0
    assert elapsed <= BUDGET + SLACK, f"{elapsed:.1f} s"
    assert isinstance(result, Extraction), repr(result)
    assert result.problem is None or result.problem.reason in ("decode_error", "extract_timeout", "not_a_document"), \
        result.problem
    return result


@pytest.fixture(scope="module")
def ingestor(tmp_path_factory):
    # what a crawl's workers do before their first page: the first extraction of a process loads
    # OpenCC's dictionaries and the language profiles (~2 s), which is not the page's time
    from crawler.pipelines import WARM_UP_PAGE
    run_extraction(WARM_UP_PAGE)
    db = store.open_db(str(tmp_path_factory.mktemp("fuzz") / "corpus.db"))
    return Ingestor(db)


def stored_in_one_place(ingestor, page, result):
    outcomes = ingestor.store(page, result)
    assert outcomes and all(o.table in ("documents", "duplicates", "rejected") and o.detail for o in outcomes)
    return outcomes


# --- mutations ------------------------------------------------------------------------------------
@st.composite
def mutated(draw, bodies=SEED_BODIES):
    body = bytearray(draw(st.sampled_from(bodies)))
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat", "controls", "nest", "tag"]))
        i = draw(st.integers(0, max(0, len(body) - 1)))
        if kind == "flip" and body:
            body[i] = draw(st.integers(0, 255))
        elif kind == "insert":
            body[i:i] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del body[i:i + draw(st.integers(1, 256))]
        elif kind == "truncate":
            del body[i:]
        elif kind == "repeat":
            j = min(len(body), i + draw(st.integers(1, 2048)))
            body[i:i] = body[i:j] * draw(st.integers(2, 50))
        elif kind == "controls":
            body[i:i] = bytes(draw(st.lists(st.integers(0, 31), min_size=1, max_size=16)))
        elif kind == "nest":  # deep nesting: a classic parser and tree-walker trap
            depth = draw(st.integers(100, 5000))
            body[i:i] = b"<div>" * depth + "深".encode() + b"</div>" * draw(st.integers(0, depth))
        elif kind == "tag":
            body[i:i] = draw(st.sampled_from([b"<body>", b"</body>", b"<html>", b"<!--", b"-->", b"<script>",
                                              b"</script>", b"<meta charset=koi8-r>", b"<meta charset=utf-16>",
                                              b'<?xml version="1.0" encoding="big5"?>', b"<![CDATA[", b"\xef\xbb\xbf",
                                              b"<table>" * 50, b"<p>" * 500]))
    return bytes(body)


CHARSETS = ["utf-8", "gb18030", "gbk", "big5", "utf-16", "cp1251", "koi8-r", "shift_jis", "latin-1"]


@st.composite
def text_in_a_charset(draw):
    text = draw(st.text(min_size=0, max_size=3000))
    charset = draw(st.sampled_from(CHARSETS))
    declared = draw(st.sampled_from([None, *CHARSETS, "no-such-charset"]))
    body = text.encode(charset, "replace")
    if draw(st.booleans()):
        head = f'<meta charset="{declared}">' if declared else ""
        body = f"<html><head>{head}</head><body><p>".encode() + body + b"</p></body></html>"
    header = draw(st.sampled_from([None, "text/html", f"text/html; charset={declared}"]))
    return body, header


# --- properties -----------------------------------------------------------------------------------
@FUZZ
@given(body=st.binary(min_size=0, max_size=20000), kind=st.sampled_from(["html", "text"]))
def test_random_bytes(ingestor, body, kind):
    page = Page(url="http://fuzz.example/random", body=body, kind=kind)
    stored_in_one_place(ingestor, page, extract_within_budget(page))


@FUZZ
@given(body=mutated(), header=st.sampled_from([None, "text/html", "text/html; charset=gbk",
                                               "text/html; charset=utf-8", "text/html; charset=\"bogus\""]))
def test_mutated_html(ingestor, body, header):
    page = Page(url="http://fuzz.example/mutated", body=body, headers={"content-type": header} if header else {})
    stored_in_one_place(ingestor, page, extract_within_budget(page))


@FUZZ
@given(case=text_in_a_charset())
def test_text_in_any_charset(ingestor, case):
    body, header = case
    page = Page(url="http://fuzz.example/text", body=body, headers={"content-type": header} if header else {})
    stored_in_one_place(ingestor, page, extract_within_budget(page))


def warc_of(bodies: list[bytes], gzip: bool) -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    for i, body in enumerate(bodies):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"http://fuzz.example/w/{i}", "response",
                                                      payload=io.BytesIO(body), http_headers=http))
    return out.getvalue()


WARCS = [warc_of(SEED_BODIES[:4], gzip=True), warc_of(SEED_BODIES[4:8], gzip=False)]


@FUZZ
@given(warc=mutated(bodies=WARCS), gz=st.booleans())
def test_mutated_warc(ingestor, tmp_path, warc, gz):
    path = tmp_path / ("fuzz.warc.gz" if gz else "fuzz.warc")
    path.write_bytes(warc)
    t0 = time.process_time()
    try:
        for page in read_pages(str(path)):
            stored_in_one_place(ingestor, page, extract_within_budget(page))
    except InputError as e:  # the file cannot be read: a reason, given by name
        assert str(path) in str(e)
    assert time.process_time() - t0 <= 4 * (BUDGET + SLACK)


# --- the budget itself ----------------------------------------------------------------------------
def test_a_page_past_its_budget_is_rejected_with_a_reason(ingestor):
    page = big_article(4000)  # ~0.45 s of extraction
    t0 = time.process_time()
    result = run_extraction(page, budget=0.2)
    assert time.process_time() - t0 < 1.5
    assert result.problem.reason == "extract_timeout" and not result.documents
    [outcome] = ingestor.store(page, result)
    assert (outcome.table, outcome.detail) == ("rejected", "extract_timeout")
    row = ingestor.db.execute("SELECT reason, detail FROM rejected WHERE url = ?", [page.url]).fetchone()
    assert row[0] == "extract_timeout" and "0.2 s budget" in row[1]


def test_the_budget_escapes_the_broad_guards_inside_extraction():
    """A timer that fires inside an `except Exception` guard of extraction still stops it."""
    from pipelines.timelimit import time_limit
    stopped = False
    try:
        with time_limit(0.05):
            while True:
                try:  # noqa: SIM105 - written out as extraction's own guards are, which the timeout must get through
                    sum(range(10_000))
                except Exception:  # noqa: BLE001 - what extraction's guards do
                    pass
    except ExtractionTimeout:
        stopped = True
    assert stopped


def test_docsites_extract_reports_a_page_past_its_budget(tmp_path):
    import subprocess

    from tests.conftest import BIN
    slow, normal = tmp_path / "slow.html", tmp_path / "normal.html"
    slow.write_bytes(big_article(8000).body)   # ~0.9 s of extraction
    normal.write_bytes(SEED_BODIES[0])
    proc = subprocess.run([os.path.join(BIN, "docsites"), "extract", "--time-budget", "0.5", str(slow), str(normal)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "slow.html" in proc.stderr and "0.5 s budget" in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout.count("\n") >= 1  # the other page's documents are still printed

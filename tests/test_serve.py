"""`docsites serve`: real Datasette on a loopback port, Chinese search of any length, read-only."""
import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from docsites.verbs.serve import load_metadata
from pipelines import store
from pipelines.extract import docmeta
from pipelines.model import Document
from tests.conftest import BIN

# (key, title, text, published): each search term below is in exactly the documents listed.
DOCS = [
    ("keji", "市科技局2023年工作总结", "市科技局围绕创新驱动发展战略，加大自主创新工作力度，北京市科技局召开会议。", "2023-12-20"),
    ("jiaoyu", "学校教育工作计划", "学校教育工作计划：立德树人，上海科学技术委员会指导。", "2022-03-01"),
    ("beijing", "北京市政府工作报告", "北京市人民政府工作报告，科学发展，知识产权保护。", "2021-01-15"),
    ("heji", "述职报告合集", "本人述职报告：知识产权保护工作扎实推进。", None),
]
TERMS = {
    "科": {"keji", "jiaoyu", "beijing"},          # 1 character
    "科技": {"keji"},                              # 2 (科学技术 is not 科技)
    "知识产权": {"beijing", "heji"},                # 4
    "北京市科技局": {"keji"},                        # 6
    "北京市人民政府": {"beijing"},                   # 7
    "量子计算机": set(),                            # absent
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def add(db, key, title, text, published):
    with store.transaction(db):
        return store.record_document(
            db, Document(url=f"http://wk.example/doc/{key}.html", site="wk.example", title=title, text=text,
                         lang="zh", published=published, **docmeta.describe(title, text).to_json()),
            content_hash=key)


def make_corpus(path):
    db = store.open_db(path)
    run_id = store.start_run(db, "docsites", {"start_urls": "http://wk.example/"})
    ids = {key: add(db, key, title, text, published) for key, title, text, published in DOCS}
    store.finish_run(db, run_id, "finished", {"docsites/documents": len(DOCS), "docsites/duplicates": 1,
                                              "docsites/rejected": 1, "downloader/request_count": 7})
    with store.transaction(db):
        db["duplicates"].insert({"url": "http://copy.example/1", "part": 0, "title": DOCS[0][1], "site": "copy.example",
                                 "dup_of": ids["keji"], "kind": "exact", "similarity": 1.0, "seen_at": "2024-01-01T00:00:00Z"})
        db["rejected"].insert({"url": "http://wk.example/en.html", "part": 0, "site": "wk.example", "title": "About",
                               "reason": "language", "detail": "en", "seen_at": "2024-01-01T00:00:00Z"})
    db.close()
    return ids


class Server:
    """`docsites serve` in a subprocess, as a user starts it."""

    def __init__(self, db_path, *args):
        self.port = free_port()
        self.name = os.path.splitext(os.path.basename(db_path))[0]
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "docsites"), "serve", "--db", db_path, "--port", str(self.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.base + "/-/versions.json", timeout=2).read()
                break
            except OSError as e:
                if self.proc.poll() is not None or time.time() > deadline:
                    self.stop()
                    raise RuntimeError("docsites serve did not start:\n" + self.proc.stdout.read().decode()) from e
                time.sleep(0.2)

    def url(self, path, **params):
        return self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")

    def get(self, path, **params):
        with urllib.request.urlopen(self.url(path, **params), timeout=30) as r:
            return r.read().decode()

    def json(self, path, **params):
        return json.loads(self.get(path, **params))

    def post(self, path, data=None, body=None, headers=None):
        body = body if body is not None else urllib.parse.urlencode(data or {}).encode()
        req = urllib.request.Request(self.url(path), data=body, method="POST", headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("serve") / "corpus.db")
    ids = make_corpus(path)
    server = Server(path)
    server.ids, server.db_path = ids, path
    yield server
    server.stop()


def search_keys(server, term):
    rows = server.json(f"/{server.name}/documents.json", _search=term, _shape="array", _size="max")
    by_id = {v: k for k, v in server.ids.items()}
    return {by_id.get(r["id"], r["id"]) for r in rows}


@pytest.mark.parametrize("term", list(TERMS))
def test_search_any_length(served, term):
    assert search_keys(served, term) == TERMS[term]


def test_search_one_column(served):
    rows = served.json(f"/{served.name}/documents.json", _search_title="报告", _shape="array")
    assert {r["title"] for r in rows} == {"北京市政府工作报告", "述职报告合集"}
    rows = served.json(f"/{served.name}/documents.json", _search_text="北京", _shape="array")
    assert {r["title"] for r in rows} == {"市科技局2023年工作总结", "北京市政府工作报告"}
    assert "<mark>北京</mark>" in served.get(f"/{served.name}/documents", _search_text="北京")


def test_search_box_page_highlights_matches(served):
    page = served.get(f"/{served.name}/documents", _search="科技")
    assert 'name="_search"' in page                     # Datasette shows its search box
    assert "<mark>科技</mark>" in page
    assert "1 row where search matches" in page


def test_metadata_facets_and_canned_queries(served):
    data = served.json(f"/{served.name}/documents.json", _size=1)
    facets = data["facet_results"]
    assert set(facets) == {"doc_types", "admin_level", "department", "years", "site"}
    assert {r["value"]: r["count"] for r in facets["doc_types"]["results"]} == {
        "工作总结": 1, "工作计划": 1, "工作报告": 1, "述职报告": 1}
    assert {r["value"]: r["count"] for r in facets["admin_level"]["results"]} == {"市": 2}
    assert {r["value"]: r["count"] for r in facets["years"]["results"]} == {"2023": 1}
    # the year of `published` is still a click away
    years = {r["value"]: r["count"] for r in served.json(f"/{served.name}/documents.json", _facet_year="published")[
        "facet_results"]["published"]["results"]}
    assert years == {"2023": 1, "2022": 1, "2021": 1}
    assert served.json(f"/{served.name}/duplicates.json")["facet_results"]["kind"]["results"][0]["value"] == "exact"
    assert served.json(f"/{served.name}/rejected.json")["facet_results"]["reason"]["results"][0]["value"] == "language"
    # default sort: newest publication first
    rows = served.json(f"/{served.name}/documents.json", _shape="array")
    assert [r["published"] for r in rows][:3] == ["2023-12-20", "2022-03-01", "2021-01-15"]

    hits = served.json(f"/{served.name}/search.json", q="知识产权 报告", _shape="array")
    assert {h["title"] for h in hits} == {"北京市政府工作报告", "述职报告合集"}
    assert all("<mark>知识产权</mark>" in h["snippet"] for h in hits)
    copies = served.json(f"/{served.name}/copies_of_a_document.json", id=served.ids["keji"], _shape="array")
    assert [(c["copy"], c["url"]) for c in copies] == [
        ("stored", "http://wk.example/doc/keji.html"), ("duplicate", "http://copy.example/1")]
    per_year = served.json(f"/{served.name}/documents_per_site_and_year.json", _shape="array")
    assert {(r["year"], r["documents"]) for r in per_year} == {("2023", 1), ("unknown", 3)}   # years, then doc_date
    assert served.json(f"/{served.name}/rejections_by_reason.json", _shape="array")[0]["reason"] == "language"
    [run] = served.json(f"/{served.name}/crawl_runs_with_stats.json", _shape="array")
    assert (run["spider"], run["documents"], run["duplicates"], run["rejected"]) == ("docsites", len(DOCS), 1, 1)


def test_facet_filters_and_the_type_level_year_query(served):
    """The facets' own links filter: type 工作总结, level 市, year 2023 is the one city summary."""
    data = served.json(f"/{served.name}/documents.json", _size=50)
    link = next(r["toggle_url"] for r in data["facet_results"]["doc_types"]["results"] if r["value"] == "工作总结")
    assert "doc_types__arraycontains=" in link
    rows = served.json(f"/{served.name}/documents.json", _shape="array", doc_types__arraycontains="工作总结",
                       admin_level="市", years__contains="2023")
    assert [r["title"] for r in rows] == ["市科技局2023年工作总结"]
    hits = served.json(f"/{served.name}/documents_of_type_level_year.json", _shape="array",
                       type="工作总结", level="市", year="2023", department="", q="創新")
    assert [h["title"] for h in hits] == ["市科技局2023年工作总结"] and "<mark>创新</mark>" in hits[0]["snippet"]
    assert served.json(f"/{served.name}/documents_of_type_level_year.json", _shape="array",
                       type="工作总结", level="县", year="2023", department="", q="") == []


def test_facets_count_under_any_filter(served):
    """The one-pass facets read the facet index; a filter on a column outside it still counts right."""
    data = served.json(f"/{served.name}/documents.json", text__contains="知识产权")
    assert {r["value"]: r["count"] for r in data["facet_results"]["doc_types"]["results"]} == {"工作报告": 1, "述职报告": 1}
    data = served.json(f"/{served.name}/documents.json", _search="学校")
    assert {r["value"]: r["count"] for r in data["facet_results"]["doc_types"]["results"]} == {"工作计划": 1}


def test_traditional_script_finds_simplified_documents(served):
    """總結 ≡ 总结, in ?_search=, the search box page and the canned search query."""
    assert search_keys(served, "總結") == search_keys(served, "总结") == {"keji"}
    assert search_keys(served, "知識產權") == {"beijing", "heji"}
    assert "<mark>工作总结</mark>" in served.get(f"/{served.name}/documents", _search="工作總結")
    hits = served.json(f"/{served.name}/search.json", q="述職報告", _shape="array")
    assert [h["title"] for h in hits] == ["述职报告合集"] and "<mark>述职报告</mark>" in hits[0]["snippet"]


def test_tables_read_well(served):
    """documents first, the machinery's tables hidden, the column glossary folded away."""
    page = served.get(f"/{served.name}")
    listed = [t for t in ("documents", "crawl_runs", "duplicates", "pages", "rejected") if f">{t}</a>" in page]
    assert listed[0] == "documents" and page.index(">documents</a>") < page.index(">crawl_runs</a>")
    for internal in ("_schema", "dedup_signatures", "documents_fts_pending", "documents_fts_stale"):
        assert f">{internal}</a>" not in page
    table = served.get(f"/{served.name}/documents")
    assert '<details class="docsites-glossary">' in table and "column-descriptions" not in table


def test_plain_sqlite_delete_and_update_then_serve(tmp_path):
    """corpus.db written with Python's sqlite3 and no docsites function: serve finds what is there,
    and its facets (read from the narrow facet table) count what is there."""
    path = str(tmp_path / "corpus.db")
    make_corpus(path)
    conn = sqlite3.connect(path)
    cols = [c[0] for c in conn.execute("SELECT * FROM documents LIMIT 0").description]
    heji = dict(zip(cols, conn.execute("SELECT * FROM documents WHERE url LIKE '%/heji.html'").fetchone(), strict=True),
                admin_level="区")
    with conn:
        conn.execute("DELETE FROM documents WHERE url LIKE '%/beijing.html'")
        conn.execute("UPDATE documents SET text = '乡村振兴战略全面推进。' WHERE url LIKE '%/jiaoyu.html'")
        conn.execute("""UPDATE documents SET admin_level = '县', doc_types = '["工作总结", "工作计划"]'
                        WHERE url LIKE '%/keji.html'""")
        # the sqlite3 shell's way (no recursive_triggers): the replaced row goes without its delete trigger
        conn.execute(f"INSERT OR REPLACE INTO documents ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     [heji[c] for c in cols])
    conn.close()
    server = Server(path)
    try:
        titles = lambda term: {r["title"] for r in server.json("/corpus/documents.json", _search=term, _shape="array")}  # noqa: E731
        assert titles("北京市人民政府") == set() and titles("知识产权") == {"述职报告合集"}
        assert titles("乡村振兴") == {"学校教育工作计划"} and titles("立德树人") == set()
        hits = server.json("/corpus/search.json", q="鄉村振興", _shape="array")
        assert [h["title"] for h in hits] == ["学校教育工作计划"]

        def facets(**args):
            data = server.json("/corpus/documents.json", **args)["facet_results"]
            return {name: {r["value"]: r["count"] for r in data[name]["results"]} for name in ("admin_level", "doc_types")}
        assert facets() == {"admin_level": {"县": 1, "区": 1},
                            "doc_types": {"工作总结": 1, "工作计划": 2, "述职报告": 1}}
        assert facets(_search="科") == {"admin_level": {"县": 1}, "doc_types": {"工作总结": 1, "工作计划": 1}}
        assert facets(_search="科", admin_level="县") == facets(_search="科")
        assert facets(text__contains="乡村") == {"admin_level": {}, "doc_types": {"工作计划": 1}}
    finally:
        server.stop()


def test_a_common_term_reads_no_text_it_does_not_show(tmp_path):
    """The plan behind the page's speed: for a term in many documents, the page walks the dates index
    and stops at its 21st match, and the facets read the narrow table, never a document row."""
    from datasette.app import Datasette

    from docsites.datasette_plugin import prepare_connection
    path = str(tmp_path / "corpus.db")
    make_corpus(path)
    ds = Datasette([path], metadata=load_metadata(path), settings={"trace_debug": True, "suggest_facets": False})

    def queries(term):
        data = asyncio.run(ds.client.get(f"/corpus/documents.json?_search={urllib.parse.quote(term)}&_trace=1")).json()
        return [(t["sql"], t.get("params")) for t in data["_trace"]["traces"]]

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    prepare_connection(conn, "corpus", None)
    plan = lambda sql, params: " | ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params or {}))  # noqa: E731
    common = queries("科")  # 3 of 4 documents
    page = next(q for q in common if q[0].startswith("select id,") and "order by published desc" in q[0])
    assert "SCAN documents USING INDEX documents_published" in plan(*page)
    # the facets: from the narrow table (named `documents` in the query, for filters that name the
    # table), each match looked up by rowid there; the wide table is not in the query
    facet_queries = [q for q in common if "from documents_facets as documents where" in q[0]]
    assert len(facet_queries) == 1
    for sql, params in facet_queries:
        assert "from documents " not in sql and "SEARCH documents USING INTEGER PRIMARY KEY" in plan(sql, params)
    rare = queries("量子计算机")  # no document: looked up by rowid
    page = next(q for q in rare if q[0].startswith("select id,") and "order by published desc" in q[0])
    assert "SEARCH documents USING INTEGER PRIMARY KEY" in plan(*page)
    conn.close()


def count_documents(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        conn.close()


def test_writes_from_the_browser_are_refused(served):
    before = count_documents(served.db_path)
    db = f"/{served.name}"
    attempts = [
        served.post(db, {"sql": "DELETE FROM documents"}),
        served.post(f"{db}/search", {"q": "科技"}),                            # canned queries are read-only
        served.post(f"{db}/documents/-/insert", body=json.dumps({"row": {"id": "x", "url": "u", "part": 0, "text": "t"}}).encode(),
                    headers={"Content-Type": "application/json"}),
        served.post(f"{db}/documents/-/drop", {}),
    ]
    for status, _ in attempts:
        assert status >= 400
    # arbitrary SQL is allowed, but only as a read
    try:
        served.get(f"{db}.json", sql="DELETE FROM documents")
        raise AssertionError("a DELETE through ?sql= was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 400
    assert count_documents(served.db_path) == before


def test_new_documents_are_found_while_serving(served):
    db = store.open_db(served.db_path)
    served.ids["late"] = add(db, "late", "量子计算机研究报告", "量子计算机研究取得新进展。", "2024-06-01")
    db.close()
    assert search_keys(served, "量子计算机") == {"late"}
    assert search_keys(served, "进展") == {"late"}
    db = store.open_db(served.db_path)
    with store.transaction(db):
        db.execute("DELETE FROM documents WHERE url LIKE '%/late.html'")
    db.close()
    del served.ids["late"]
    assert search_keys(served, "量子计算机") == set()


def test_datasette_write_connection_is_query_only(tmp_path):
    """Belt and braces: even a plugin or write canned query could not change the corpus."""
    from datasette.app import Datasette

    path = str(tmp_path / "corpus.db")
    make_corpus(path)
    ds = Datasette([path], metadata=load_metadata(path))

    async def attempt():
        await ds.invoke_startup()
        with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only|attempt to write"):
            await ds.get_database("corpus").execute_write("DELETE FROM documents")

    asyncio.run(attempt())
    assert count_documents(path) == len(DOCS)


def test_serve_errors(tmp_path):
    from click.testing import CliRunner

    from docsites.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 1 and "no such database" in result.stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = CliRunner().invoke(cli, ["serve", "--db", str(other)])
    assert result.exit_code == 1 and "not a docsites corpus" in result.stderr


def test_old_corpus_gets_its_index_when_served(tmp_path):
    path = str(tmp_path / "old.db")
    make_corpus(path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE documents_fts")
        for trigger in ("documents_fts_insert", "documents_fts_delete", "documents_fts_update"):
            conn.execute(f"DROP TRIGGER {trigger}")
    conn.close()
    server = Server(path)
    try:
        assert {r["title"] for r in server.json("/old/documents.json", _search="科技", _shape="array")} == {"市科技局2023年工作总结"}
    finally:
        server.stop()


def test_no_sql_keeps_tables_and_canned_queries_only(tmp_path):
    path = str(tmp_path / "corpus.db")
    make_corpus(path)
    server = Server(path, "--no-sql")
    try:
        with pytest.raises(urllib.error.HTTPError) as e:
            server.get("/corpus.json", sql="select count(*) from documents")
        assert e.value.code == 403
        assert len(server.json("/corpus/search.json", q="科技", _shape="array")) == 1
        assert len(server.json("/corpus/documents.json", _search="知识产权", _shape="array")) == 2
    finally:
        server.stop()


def test_facets_of_a_corpus_without_the_narrow_table(tmp_path):
    """A corpus served as it is (read-only, from before the narrow facet table) counts from documents."""
    from datasette.app import Datasette
    path = str(tmp_path / "corpus.db")
    make_corpus(path)
    conn = sqlite3.connect(path)
    with conn:
        for name in store.FACET_TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(f"DROP TABLE {store.FACET_TABLE}")
    conn.close()
    ds = Datasette([path], metadata=load_metadata(path), settings={"suggest_facets": False})
    for query, levels, sites in (("", {"市": 2}, {"wk.example": 4}), ("?_search=%E7%A7%91", {"市": 2}, {"wk.example": 3})):
        facets = asyncio.run(ds.client.get(f"/corpus/documents.json{query}")).json()["facet_results"]
        assert {r["value"]: r["count"] for r in facets["admin_level"]["results"]} == levels
        assert {r["value"]: r["count"] for r in facets["site"]["results"]} == sites

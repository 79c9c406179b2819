"""Corpus extensions: opening a corpus names the parts it sets up beside the core tables
(pipelines.store.Extension; default pipelines.defaults.CORPUS_EXTENSIONS), so which tables a corpus
has never depends on what the process happened to import."""
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from docsites.cli import cli
from pipelines import store
from pipelines.ingest import Ingestor, stored_hints
from pipelines.model import Page, SiteHints
from tests.sitefarm import ROOT

CORE = {"_schema", "pages", "documents", "documents_facets", "duplicates", "rejected", "crawl_runs"}
DEFAULT_PARTS = {"dedup_signatures", "dedup_bands", "dedup_meta",
                 "boilerplate_sites", "boilerplate_lines", "boilerplate_pages", "documents_fts"}

OPEN_IN_A_FRESH_PROCESS = """
import json, sys
{imports}
from pipelines import store
db = store.open_db(sys.argv[1])
print(json.dumps(sorted(db.table_names())))
"""


def tables_in_a_fresh_process(path, imports=""):
    proc = subprocess.run([sys.executable, "-c", OPEN_IN_A_FRESH_PROCESS.format(imports=imports), path],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def test_a_process_that_imports_only_the_store_gets_every_default_part(tmp_path):
    tables = tables_in_a_fresh_process(str(tmp_path / "bare.db"))
    assert tables >= CORE | DEFAULT_PARTS, sorted((CORE | DEFAULT_PARTS) - tables)
    assert "page_roles" not in tables  # the crawler's part: named by the crawl and the CLI


def test_what_a_process_imported_changes_no_table(tmp_path):
    bare = tables_in_a_fresh_process(str(tmp_path / "bare.db"))
    busy = tables_in_a_fresh_process(str(tmp_path / "busy.db"),
                                     "import crawler.pageroles, pipelines.ingest, pipelines.search, docsites.stored")
    assert busy == bare


def test_a_corpus_opened_with_chosen_extensions_has_only_those(tmp_path):
    path = str(tmp_path / "c.db")
    db = store.open_db(path, extensions=())
    assert set(db.table_names()) == CORE
    assert store.extensions_of(db) == ()
    db.close()
    db = store.open_db(path, extensions=["pipelines.search.SEARCH_INDEX"])
    tables = set(db.table_names())
    assert "documents_fts" in tables and not tables & {"dedup_bands", "boilerplate_lines", "page_roles"}
    assert [e.name for e in store.extensions_of(db)] == ["search"]
    db.close()
    from crawler.pageroles import PAGE_ROLES
    db = store.open_db(path, extensions=[PAGE_ROLES])  # a record works as well as its import path
    assert "page_roles" in db.table_names() and "dedup_bands" not in db.table_names()


def test_an_extension_runs_before_each_commit_and_answers_for_hints(tmp_path):
    commits, asked = [], []

    def ensure(db):
        db.execute("CREATE TABLE IF NOT EXISTS notes (n INTEGER)")

    def before_commit(db):
        commits.append(db.execute("SELECT count(*) FROM notes").fetchone()[0])

    def hints(db, page):
        asked.append(page.url)
        return SiteHints(stop_at=("相关文档",)) if "/known/" in page.url else None

    notes = store.Extension("notes", ensure, before_commit=before_commit, hints=hints)
    db = store.open_db(str(tmp_path / "c.db"), extensions=[notes])
    assert "notes" in db.table_names()
    with store.transaction(db):
        db.execute("INSERT INTO notes VALUES (1)")
        with store.transaction(db):  # a savepoint: no commit of its own
            db.execute("INSERT INTO notes VALUES (2)")
        assert commits == []
    assert commits == [2]  # once, at the end of the outermost transaction, before COMMIT
    with pytest.raises(RuntimeError), store.transaction(db):
        db.execute("INSERT INTO notes VALUES (3)")
        raise RuntimeError("rolled back")
    assert commits == [2]  # not for a transaction that rolls back
    assert db.execute("SELECT count(*) FROM notes").fetchone()[0] == 2
    # the hints of a stored page read again: the extensions the corpus was opened with are asked
    assert stored_hints(db, Page(url="https://a.example/known/1", body=b"")).stop_at == ("相关文档",)
    assert stored_hints(db, Page(url="https://a.example/other/1", body=b"")) is None
    assert Ingestor(db).hints(Page(url="https://a.example/known/2", body=b"")).stop_at == ("相关文档",)
    assert asked == ["https://a.example/known/1", "https://a.example/other/1", "https://a.example/known/2"]


def test_the_search_index_is_kept_current_only_by_a_corpus_opened_with_it(tmp_path):
    from pipelines import search
    path = str(tmp_path / "c.db")
    store.open_db(path).close()  # the default parts: the index exists
    page = Page(url="https://a.example/doc/1", body=(
        "<html><head><title>工作总结</title></head><body><article><p>"
        + "县科技局认真贯彻落实上级决策部署，扎实推进科技创新工作，取得了明显成效。" * 8
        + "</p></article></body></html>").encode("utf-8"))
    plain = store.open_db(path, extensions=["pipelines.dedup.DEDUP_INDEX", "pipelines.extract.boilerplate.BOILERPLATE"])
    Ingestor(plain).ingest(page)
    assert search.pending(plain) == 1  # written, marked by the triggers, not indexed at commit
    plain.close()
    db = store.open_db(path)  # opening with the index indexes what waited
    assert search.pending(db) == 0 and search.check(db) == []


def test_an_extension_that_cannot_be_loaded_is_one_line(tmp_path):
    with pytest.raises(store.StoreError, match="corpus extension 'pipelines.nothing.HERE'"):
        store.open_db(str(tmp_path / "c.db"), extensions=["pipelines.nothing.HERE"])
    with pytest.raises(store.StoreError, match="not a pipelines.store.Extension"):
        store.open_db(str(tmp_path / "c.db"), extensions=["pipelines.defaults.CORPUS_DB"])


def test_the_cli_and_the_crawl_name_the_page_roles(tmp_path):
    from crawler.addon import SETTINGS
    assert "crawler.pageroles.PAGE_ROLES" in SETTINGS["CORPUS_EXTENSIONS"]
    saved = tmp_path / "a.html"
    saved.write_text("<html><head><title>t</title></head><body><p>" + "正文内容。" * 40 + "</p></body></html>",
                     encoding="utf-8")
    db_path = str(tmp_path / "c.db")
    result = CliRunner().invoke(cli, ["ingest", str(saved), "--url", "https://a.example/1", "--db", db_path])
    assert result.exit_code == 0, result.output
    assert CORE | DEFAULT_PARTS | {"page_roles"} <= set(store.open_db(db_path).table_names())

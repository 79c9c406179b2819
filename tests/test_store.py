"""corpus.db schema and the one-place invariant."""
import sqlite3

import pytest

from pipelines import store
from pipelines.ingest import Ingestor
from pipelines.model import Page

BODY = "县科技局认真贯彻落实上级决策部署，扎实推进科技创新工作，取得了明显成效。" * 8


def html(title, body):
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{body}</p></article></body></html>".encode()


def test_schema_has_every_table_and_column(db_path):
    db = store.open_db(db_path)
    assert {"pages", "documents", "duplicates", "rejected", "crawl_runs"} <= set(db.table_names())
    assert {"id", "url", "part", "site", "title", "text", "chars", "lang", "published", "traditional",
            "truncated", "content_hash", "meta", "quality", "first_seen", "updated_at"} <= set(db["documents"].columns_dict)
    assert {"url", "final_url", "status", "fetched_at", "content_type", "encoding", "etag",
            "last_modified", "body", "sha1", "run_id"} <= set(db["pages"].columns_dict)
    assert {"url", "part", "title", "site", "dup_of", "kind", "similarity", "seen_at"} <= set(db["duplicates"].columns_dict)
    assert db.journal_mode == "wal"
    # opening again migrates nothing and loses nothing
    assert store.open_db(db_path)["documents"].count == 0


def test_documents_unique_on_url_and_part(db_path):
    db = store.open_db(db_path)
    db["documents"].insert({"id": "a", "url": "u", "part": 0, "text": "x"})
    with pytest.raises(sqlite3.IntegrityError):
        db["documents"].insert({"id": "b", "url": "u", "part": 0, "text": "y"})


def test_every_page_ends_in_exactly_one_place(db_path):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    pages = [
        Page("http://a.example/doc/1.html", html("科技局工作总结", BODY)),
        Page("http://b.example/p-2.html", html("科技局工作总结", BODY)),          # exact copy
        Page("http://a.example/missing.html", b"not found", status=404),
        Page("http://a.example/en.html", html("About", "An English page about nothing in particular. " * 20)),
        Page("http://a.example/short.html", html("短", "很短的一段话。")),
        Page("http://a.example/binary.bin", bytes(range(256)) * 50),
    ]
    tables = [ing.ingest(p)[0].table for p in pages]
    assert tables == ["documents", "duplicates", "rejected", "rejected", "rejected", "rejected"]
    reasons = dict(db.execute("SELECT url, reason FROM rejected").fetchall())
    assert reasons["http://a.example/missing.html"] == "http_error"
    assert reasons["http://a.example/en.html"] == "language"
    assert reasons["http://a.example/short.html"] in ("too_short", "not_a_document")
    assert reasons["http://a.example/binary.bin"] in ("decode_error", "not_a_document")
    assert store.check_invariant(db) == []
    assert db["pages"].count == len(pages)


def test_reingest_moves_a_page_rather_than_copying_it(db_path):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    url = "http://a.example/doc/1.html"
    ing.ingest(Page(url, html("工作总结", BODY)))
    ing.ingest(Page(url, b"gone", status=410))
    assert db["documents"].count == 0
    assert db["rejected"].count == 1
    assert store.check_invariant(db) == []


def test_raw_page_is_kept_compressed(db_path):
    db = store.open_db(db_path)
    body = html("工作总结", BODY)
    Ingestor(db).ingest(Page("http://a.example/1.html", body, headers={"content-type": "text/html; charset=utf-8"}))
    row = db["pages"].get("http://a.example/1.html")
    assert store.decompress(row["body"]) == body
    assert len(row["body"]) < len(body)
    assert row["content_type"] == "text/html; charset=utf-8"


def test_pages_written_before_zstd_still_read(db_path):
    """Rows of databases written with zlib (before zstd) decompress as they are."""
    import zlib
    db = store.open_db(db_path)
    body = html("工作总结", BODY)
    db["pages"].insert({"url": "http://a.example/old.html", "final_url": "http://a.example/old.html", "status": 200,
                        "fetched_at": "2026-01-01T00:00:00Z", "body": zlib.compress(body, 6)})
    assert store.get_page(db, "http://a.example/old.html").body == body
    assert store.compress(body)[:4] == store.ZSTD_MAGIC


def test_redirect_targets_are_indexed(db_path):
    """The crawl's incremental lookup (`url = ? OR final_url = ?`) must not scan the table."""
    db = store.open_db(db_path)
    plan = " ".join(r[-1] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT * FROM pages WHERE url = ? OR final_url = ?", ["a", "a"]).fetchall())
    assert "SCAN" not in plan.replace("SCAN CONSTANT", ""), plan


# --- foreign, empty and read-only databases; paths a URI must escape (issues 11.10, 16.6) ----------
import hashlib  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from docsites.cli import cli  # noqa: E402
from tests.conftest import BIN  # noqa: E402

READING_VERBS = [["stats"], ["dedup"], ["export", "OUT/x.jsonl"], ["report", "OUT/r.html"], ["serve", "--port", "1"]]


def run_cli(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def small_corpus(path):
    db = store.open_db(path)
    Ingestor(db).ingest(Page("http://a.example/doc/1.html", html("工作总结", BODY),
                             headers={"content-type": "text/html; charset=utf-8"}))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def foreign_db(path):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE pages (id INTEGER PRIMARY KEY, title TEXT, html TEXT)")  # another app's `pages`
    conn.execute("INSERT INTO users (name) VALUES ('ann')")
    conn.commit()
    conn.close()


def fingerprint_of(folder):
    """Every file in `folder` (names and bytes): what a verb that must not write may not change."""
    return {name: hashlib.sha1(open(os.path.join(folder, name), "rb").read()).hexdigest()
            for name in sorted(os.listdir(folder))}


EMPTY = hashlib.sha1(b"").hexdigest()


def verb_args(verb, db, out_folder):
    return [a.replace("OUT", out_folder) for a in verb] + ["--db", db]


@pytest.mark.parametrize("kind", ["foreign", "empty", "text"])
@pytest.mark.parametrize("verb", READING_VERBS + [["ingest", "PAGE"], ["dedup", "--rebuild"], ["rebuild"]],
                         ids=lambda v: "-".join(v) if isinstance(v, list) else v)
def test_a_file_that_is_not_a_corpus_is_refused_in_one_line_and_left_alone(tmp_path, kind, verb):
    folder = tmp_path / "dbs"
    folder.mkdir()
    path = str(folder / "other.db")
    if kind == "foreign":
        foreign_db(path)
    elif kind == "empty":
        open(path, "wb").close()
    else:
        (folder / "other.db").write_text("name,value\nann,1\n")
    page_file = tmp_path / "p.html"
    page_file.write_bytes(html("工作总结", BODY))
    args = [a.replace("PAGE", str(page_file)) for a in verb_args(verb, path, str(tmp_path))]
    before = fingerprint_of(folder)
    result = run_cli(*args)
    if kind == "empty" and verb[0] in ("ingest", "rebuild") or (kind == "empty" and verb == ["dedup", "--rebuild"]):
        assert result.exit_code in (0, 1)  # a corpus may be created in an empty file by a verb that writes
        return
    assert result.exit_code == 1, result.output
    lines = [x for x in result.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "not a docsites corpus" in lines[0] or "not an SQLite database" in lines[0], result.output
    assert fingerprint_of(folder) == before  # not a table added, not WAL, no -wal or -shm file


def test_ingest_into_another_apps_pages_table_adds_nothing(tmp_path):
    path = str(tmp_path / "app.db")
    foreign_db(path)
    page_file = tmp_path / "p.html"
    page_file.write_bytes(html("工作总结", BODY))
    result = run_cli("ingest", str(page_file), "--db", path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    conn = sqlite3.connect(path)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")} == {"users", "pages"}
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


@pytest.mark.parametrize("verb", READING_VERBS[:4], ids=lambda v: v[0])
def test_reading_verbs_change_nothing_in_a_corpus(tmp_path, verb):
    folder = tmp_path / "dbs"
    folder.mkdir()
    path = str(folder / "corpus.db")
    small_corpus(path)
    before = fingerprint_of(folder)
    result = run_cli(*verb_args(verb, path, str(tmp_path)))
    assert result.exit_code == 0, result.output
    after = fingerprint_of(folder)
    assert after.pop("corpus.db") == before["corpus.db"]
    assert after.get("corpus.db-wal", EMPTY) == EMPTY  # a WAL reader's own files: shared memory, no log
    assert set(after) <= {"corpus.db-shm", "corpus.db-wal"}


@pytest.mark.parametrize("verb", [["export", "NOWHERE/x.jsonl"], ["report", "NOWHERE/r.html"]], ids=lambda v: v[0])
def test_writing_into_a_missing_folder_is_one_line(tmp_path, verb):
    path = str(tmp_path / "corpus.db")
    small_corpus(path)
    result = run_cli(*[a.replace("NOWHERE", str(tmp_path / "missing")) for a in verb], "--db", path)
    assert result.exit_code == 1 and "does not exist" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("name", ["a#b", "c?d", "e%41f", "g h"])
def test_read_only_uri_keeps_every_character_of_the_path(tmp_path, name):
    folder = tmp_path / name
    folder.mkdir()
    path = str(folder / f"corpus{name}.db")
    small_corpus(path)
    conn = sqlite3.connect(store.readonly_uri(path), uri=True)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    with pytest.raises(sqlite3.OperationalError):
        conn.execute("DELETE FROM documents")
    conn.close()
    for verb in READING_VERBS[:4]:
        result = run_cli(*verb_args(verb, path, str(tmp_path)))
        assert result.exit_code == 0, (verb, result.output)


def unprivileged(cmd: list[str]) -> list[str]:
    """`cmd` run so that file permissions bind it: as root, without the capabilities that let root
    write any file (root could otherwise write a read-only corpus)."""
    if os.geteuid() != 0:
        return cmd
    if not shutil.which("setpriv"):
        pytest.skip("running as root without setpriv: a read-only file would not be read-only")
    caps = "-dac_override,-dac_read_search,-fowner"
    return ["setpriv", f"--bounding-set={caps}", f"--inh-caps={caps}", *cmd]


@pytest.mark.parametrize("verb", READING_VERBS[:4], ids=lambda v: v[0])
def test_a_read_only_corpus_can_be_read(tmp_path, verb):
    folder, out = tmp_path / "ro", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    path = str(folder / "corpus.db")
    small_corpus(path)
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    try:
        proc = subprocess.run(unprivileged([os.path.join(BIN, "docsites"), *verb_args(verb, path, str(out))]),
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert os.listdir(folder) == ["corpus.db"]
    finally:
        os.chmod(folder, 0o755)


def test_a_read_only_corpus_can_be_served(tmp_path):
    import json
    import socket
    import time
    import urllib.request
    folder = tmp_path / "ro"
    folder.mkdir()
    path = str(folder / "corpus.db")
    small_corpus(path)
    os.chmod(path, 0o444)
    os.chmod(folder, 0o555)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(unprivileged([os.path.join(BIN, "docsites"), "serve", "--db", path, "--port", str(port)]),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/corpus/documents.json?_shape=array",
                                            timeout=5) as r:
                    rows = json.loads(r.read())
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, proc.stdout.read().decode() if proc.stdout else ""
                time.sleep(0.3)
        assert len(rows) == 1 and rows[0]["url"] == "http://a.example/doc/1.html"
        assert os.listdir(folder) == ["corpus.db"]
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.chmod(folder, 0o755)


def _facet_rows(path):
    conn = sqlite3.connect(path)
    try:
        cols = ", ".join(store.FACET_COLUMNS)
        facets = conn.execute(f"SELECT doc_rowid, {cols} FROM {store.FACET_TABLE} ORDER BY 1").fetchall()
        documents = conn.execute(f"SELECT rowid, {cols} FROM documents ORDER BY 1").fetchall()
        return facets, documents
    finally:
        conn.close()


def _three_documents(db_path):
    db = store.open_db(db_path)
    from pipelines.model import Document
    with store.transaction(db):
        for key, level in (("a", "县"), ("b", "市"), ("c", "县")):
            store.record_document(db, Document(url=f"http://wk.example/{key}", site="wk.example", title=key,
                                               text=BODY, lang="zh", admin_level=level, doc_types=["工作总结"],
                                               years=[2023]), content_hash=key)
    db.close()


def test_the_narrow_facet_table_follows_plain_sqlite_writes(db_path):
    """documents_facets holds each document's short columns, kept by plain-SQL triggers: inserts,
    updates and deletes from Python's sqlite3 with no docsites function registered keep it right."""
    _three_documents(db_path)
    facets, documents = _facet_rows(db_path)
    assert facets == documents and len(facets) == 3
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE documents SET admin_level = '乡镇', years = '[2024]' WHERE url = 'http://wk.example/a'")
        conn.execute("UPDATE documents SET text = '只改了正文' WHERE url = 'http://wk.example/b'")
        conn.execute("DELETE FROM documents WHERE url = 'http://wk.example/c'")
        conn.execute("INSERT INTO documents (id, url, part, text, site, admin_level) "
                     "VALUES ('z', 'http://wk.example/z', 0, '外来的', 'other.example', '省')")
    conn.close()
    facets, documents = _facet_rows(db_path)
    assert facets == documents
    assert {(r[2], r[-1]) for r in facets} == {("乡镇", "[2024]"), ("市", "[2023]"), ("省", None)}
    assert store.facet_table_current(sqlite3.connect(db_path))


def test_a_replace_that_skips_the_delete_trigger_is_mended_when_opened(db_path):
    """INSERT OR REPLACE without recursive_triggers (the sqlite3 shell's default) deletes the old row
    without its delete trigger: one row too many in the narrow table until docsites next opens it."""
    _three_documents(db_path)
    conn = sqlite3.connect(db_path)
    cols = [c[0] for c in conn.execute("SELECT * FROM documents LIMIT 0").description]
    row = dict(zip(cols, conn.execute("SELECT * FROM documents WHERE url = 'http://wk.example/b'").fetchone(), strict=True))
    row["admin_level"] = "区"
    with conn:
        conn.execute(f"INSERT OR REPLACE INTO documents ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                     [row[c] for c in cols])
    assert not store.facet_table_current(conn)
    conn.close()
    facets, documents = _facet_rows(db_path)
    assert len(facets) == len(documents) + 1
    store.open_db(db_path).close()
    facets, documents = _facet_rows(db_path)
    assert facets == documents and sorted(r[2] for r in facets) == ["区", "县", "县"]


def test_an_older_corpus_gets_the_narrow_table_and_loses_the_covering_index(db_path):
    _three_documents(db_path)
    conn = sqlite3.connect(db_path)
    with conn:  # as a corpus of the previous version: a covering index, no narrow table
        for name in store.FACET_TRIGGERS:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(f"DROP TABLE {store.FACET_TABLE}")
        conn.execute(f"CREATE INDEX {store.OLD_FACET_INDEX} ON documents (site, admin_level)")
    conn.close()
    store.open_db(db_path).close()
    conn = sqlite3.connect(db_path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert set(store.FACET_OBJECTS) <= names and store.OLD_FACET_INDEX not in names
    facets, documents = _facet_rows(db_path)
    assert facets == documents and len(facets) == 3

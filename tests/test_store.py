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

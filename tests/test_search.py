"""pipelines/search.py: the bigram-window index finds terms of any length and follows the documents table."""
import random
import sqlite3

import pytest

from pipelines import search, store
from pipelines.model import Document

TEXTS = {
    "a": ("科技工作总结", "市科技局围绕创新驱动发展战略，北京市科技局召开会议。推进Python教程，2023年。"),
    "b": ("教育计划", "学校教育工作计划，立德树人，上海科学技术委员会。"),
    "c": ("北京报告", "北京市人民政府工作报告"),
    "d": ("短", "科"),
}


def add(db, key, title, text, published="2023-01-01"):
    with store.transaction(db):
        return store.record_document(
            db, Document(url=f"http://wk.example/{key}", site="wk.example", title=title, text=text, lang="zh",
                         published=published),
            content_hash=key)


@pytest.fixture
def db(db_path):
    db = store.open_db(db_path)
    for key, (title, text) in TEXTS.items():
        add(db, key, title, text)
    return db


def found(db, query):
    ids = {d["id"] for d in search.search(db, query, limit=100)}
    return sorted(k for k in TEXTS if _id(db, k) in ids)


def _id(db, key):
    row = db.execute("SELECT id FROM documents WHERE url = ?", [f"http://wk.example/{key}"]).fetchone()
    return row[0] if row else None


def brute_force(db, query):
    """What a substring scan finds: every term in title or text, case-insensitively."""
    terms = search.query_terms(query)
    keys = []
    for key in TEXTS:
        row = db.execute("SELECT title, text FROM documents WHERE url = ?", [f"http://wk.example/{key}"]).fetchone()
        if row and all(t.lower() in (row[0] or "").lower() or t.lower() in row[1].lower() for t in terms):
            keys.append(key)
    return keys


@pytest.mark.parametrize("query, expected", [
    ("科", ["a", "b", "d"]),             # 1 character: a prefix query on the windows
    ("科技", ["a"]),                      # 2: one bigram token (b has 科学技术, not 科技)
    ("北京", ["a", "c"]),
    ("科技局", ["a"]),
    ("北京市科技局", ["a"]),                # 6: a phrase of five bigrams
    ("python教程", ["a"]),                # Latin is windowed too, case-folded
    ("2023年", ["a"]),
    ("工作 北京", ["a", "c"]),             # terms separated by spaces must all match
    ("略，北京", ["a"]),                    # punctuation inside a term
    ("不存在", []),
    ("，", []),                           # nothing searchable: no rows, no syntax error
    ('"', []),
])
def test_terms_of_any_length(db, query, expected):
    assert found(db, query) == expected
    assert brute_force(db, query) == expected or not any(c.isalnum() for c in query)


def test_index_follows_update_and_delete(db):
    assert found(db, "人民政府") == ["c"]
    # dedup keeps the most complete copy: the text is replaced in place, the id stays
    doc_id = add(db, "c", "北京报告", "上海市科技创新工作报告全文")
    assert doc_id == _id(db, "c")
    assert found(db, "人民政府") == [] and found(db, "科技") == ["a", "c"]
    with store.transaction(db):
        db.execute("DELETE FROM documents WHERE id = ?", [_id(db, "a")])
    assert found(db, "科技") == ["c"]
    assert search.check(db) == []


def _path(db):
    return db.execute("PRAGMA database_list").fetchone()[2]


def test_plain_sqlite_writes_are_indexed_when_docsites_next_opens_the_corpus(db):
    """corpus.db is a plain SQLite file: Python's sqlite3 with no function registered deletes and
    updates documents; a deleted one is never found, an updated one is found by its new words once
    docsites opens the corpus again (the triggers note the change, docsites indexes it)."""
    path = _path(db)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE documents SET text = '全新的内容' WHERE id = ?", [_id(db, "b")])
        conn.execute("DELETE FROM documents WHERE id = ?", [_id(db, "c")])
        conn.execute("INSERT INTO documents (id, url, part, text) VALUES ('z', 'http://wk.example/z', 0, '外来的人民政府')")
    conn.close()
    assert found(db, "人民政府") == []                 # the deleted row is gone at once (and z not yet indexed)
    assert "wait to be indexed" in " ".join(search.check(db))
    db.close()
    db = store.open_db(path)
    assert found(db, "立德树人") == [] and found(db, "全新") == ["b"] and found(db, "北京") == ["a"]
    assert [d["id"] for d in search.search(db, "人民政府")] == ["z"]
    assert search.check(db) == []


def test_insert_or_replace_leaves_no_stale_entries(db):
    row = db.execute("SELECT * FROM documents WHERE url = 'http://wk.example/c'").fetchone()
    cols = [c[0] for c in db.execute("SELECT * FROM documents LIMIT 0").description]
    values = dict(zip(cols, row, strict=True), text="替换以后的文本")
    db.execute(f"INSERT OR REPLACE INTO documents ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
               [values[c] for c in cols])
    db.conn.commit()
    assert found(db, "人民政府") == []
    db = store.open_db(_path(db))  # written outside store.transaction: indexed when next opened
    assert found(db, "人民政府") == [] and found(db, "替换") == ["c"]
    assert search.check(db) == []


def test_existing_corpus_gets_an_index_when_opened(db_path):
    db = store.open_db(db_path)
    add(db, "a", *TEXTS["a"])
    with store.transaction(db):
        for trigger in search.TRIGGERS:
            db.execute(f"DROP TRIGGER {trigger}")
        db.execute(f"DROP TABLE {search.FTS_TABLE}")
        add(db, "c", *TEXTS["c"])    # arrives while there is no index
    db.close()
    db = store.open_db(db_path)      # the schema hook creates and fills it
    assert found(db, "北京") == ["a", "c"] and search.check(db) == []


def test_rebuild_and_check(db):
    db.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('delete-all')")
    db.conn.commit()
    assert "4 documents are not in the search index" in search.check(db)
    assert search.rebuild(db) == 4
    assert search.check(db) == [] and found(db, "科技") == ["a"]


def test_windows():
    assert search.windows("北京科技") == "北京 京科 科技 技"
    assert search.windows("a😀b") == "a😀 😀b b"
    assert search.windows("北") == "北"
    assert search.windows("") is None and search.windows(None) is None


def test_windows_equal_the_obvious_python():
    rng = random.Random(7)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 500)] + list("abcXYZ 019，。\n\"'") + ["😀", "é", "𠀀"]
    for text in ["".join(rng.choices(alphabet, k=rng.randint(1, 400))) for _ in range(300)]:
        assert search.windows(text) == " ".join(text[i:i + 2] for i in range(len(text)))


def test_triggers_of_older_corpora_are_replaced(db_path):
    """A corpus whose triggers windowed in SQL (or were changed by hand) gets the current ones."""
    path = db_path
    db = store.open_db(path)
    db.execute("DROP TRIGGER documents_fts_insert")
    db.execute("CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN SELECT 1; END")
    db.conn.commit()
    db.close()
    db = store.open_db(path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'documents_fts_insert'").fetchone()[0]
    assert search.PENDING_TABLE in sql and search.WINDOWS_FUNCTION not in sql
    add(db, "a", *TEXTS["a"])
    assert search.check(db) == [] and found(db, "科技") == ["a"]


def test_no_trigger_or_view_needs_a_docsites_function(db):
    """What a plain SQLite tool runs on a write is SQL only (no docsites_* function)."""
    for name, sql in db.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')").fetchall():
        assert "docsites_" not in sql, name
    conn = sqlite3.connect(_path(db))
    with conn:
        conn.execute("INSERT INTO documents (id, url, part, text) VALUES ('z', 'http://z', 0, '北京')")
        conn.execute("UPDATE documents SET title = '改过' WHERE id = 'z'")
        conn.execute("DELETE FROM documents WHERE id = 'z'")
    conn.close()


def test_old_triggers_calling_a_function_are_replaced(db_path):
    """Corpora made when the triggers called docsites_windows get plain ones, the index kept."""
    db = store.open_db(db_path)
    add(db, "a", *TEXTS["a"])
    db.execute("DROP TRIGGER documents_fts_insert")
    db.execute("CREATE TRIGGER documents_fts_insert AFTER INSERT ON documents BEGIN "
               "INSERT INTO documents_fts(rowid, title, text) VALUES (new.rowid, docsites_windows(new.title), "
               "docsites_windows(new.text)); END")
    db.conn.commit()
    db.close()
    db = store.open_db(db_path)
    assert "docsites_windows" not in db.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'documents_fts_insert'").fetchone()[0]
    assert found(db, "科技") == ["a"] and search.check(db) == []


def test_traditional_query_finds_simplified_documents(db):
    assert found(db, "總結") == found(db, "总结") == ["a"]
    assert found(db, "科技工作總結") == ["a"]
    assert "<mark>总结</mark>" in search.snippet("年度工作总结", "總結")


def test_query_rewrite():
    assert search.to_fts_query("科") == '"科"*'
    assert search.to_fts_query("北京市") == '"北京 京市"'
    assert search.to_fts_query("科技  北京") == '"科技" AND "北京"'
    assert search.to_fts_query('"北京 市"') == '"北京 京   市"'
    assert search.to_fts_query('a"b') == '"a"" ""b"'
    assert search.to_fts_query("") == '""'


def test_snippet_marks_matches_and_html_is_escaped():
    text = "<b>前言</b>" + "无关内容" * 30 + "北京市科技局召开会议" + "其他" * 40
    s = search.snippet(text, "科技", width=10)
    assert "<mark>科技</mark>" in s and s.startswith("…") and s.endswith("…")
    html = search.snippet_html(search.snippet("<script>x</script>科技", "科技"))
    assert "&lt;script&gt;" in html and "<mark>科技</mark>" in html and "<script>" not in html


def test_index_can_be_left_out_of_bulk_loads(db_path, monkeypatch):
    monkeypatch.setenv("DOCSITES_SEARCH_INDEX", "0")
    db = store.open_db(db_path)
    add(db, "a", *TEXTS["a"])
    assert search.FTS_TABLE not in db.table_names()
    db.close()
    monkeypatch.delenv("DOCSITES_SEARCH_INDEX")
    db = store.open_db(db_path)            # created and filled when wanted again
    assert found(db, "科技") == ["a"]


def _record(db, key, title, text):
    return store.record_document(
        db, Document(url=f"http://wk.example/{key}", site="wk.example", title=title, text=text, lang="zh"),
        content_hash=key)


def test_a_transaction_indexes_its_documents_together_before_commit(db):
    """Inside store.transaction the triggers only mark rows; the batch is indexed at its end."""
    with store.transaction(db):
        for n in range(5):
            _record(db, f"batch{n}", f"批量{n}", f"第{n}份年度统计公报全文")
        pending = db.execute(f"SELECT count(*) FROM {search.PENDING_TABLE}").fetchone()[0]
        assert pending == 5
    assert db.execute(f"SELECT count(*) FROM {search.PENDING_TABLE}").fetchone()[0] == 0
    assert len(search.search(db, "统计公报", limit=100)) == 5
    assert search.check(db) == []


def test_pending_rows_updated_or_deleted_in_the_same_transaction(db):
    """A row changed or deleted before its batch was indexed: only what is there at COMMIT counts."""
    with store.transaction(db):
        _record(db, "e", "新文档", "初稿内容关于水利建设")
        _record(db, "e", "新文档", "定稿内容关于交通运输")       # updated in place while pending
        _record(db, "f", "临时", "马上删除的档案管理")
        db.execute("DELETE FROM documents WHERE url = 'http://wk.example/f'")
        db.execute("DELETE FROM documents WHERE url = 'http://wk.example/c'")   # indexed before
    assert [d["title"] for d in search.search(db, "交通运输")] == ["新文档"]
    assert search.search(db, "水利建设") == [] and search.search(db, "档案管理") == []
    assert found(db, "人民政府") == []
    assert search.check(db) == []


def test_a_rolled_back_transaction_leaves_no_marks(db):
    with pytest.raises(RuntimeError), store.transaction(db):
        _record(db, "g", "回滚", "不会留下的营商环境报告")
        raise RuntimeError("the batch failed")
    assert db.execute(f"SELECT count(*) FROM {search.PENDING_TABLE}").fetchone()[0] == 0
    assert search.search(db, "营商环境") == [] and search.check(db) == []


def test_marks_left_by_a_bare_transaction_are_indexed_when_the_corpus_is_opened(db_path):
    """Pending marks committed outside store.transaction (never by docsites itself) are not lost."""
    db = store.open_db(db_path)
    add(db, "a", *TEXTS["a"])
    db.execute(f"INSERT INTO {search.PENDING_TABLE}(doc_rowid) SELECT rowid FROM documents")
    db.execute(f"INSERT INTO {search.FTS_TABLE}({search.FTS_TABLE}) VALUES ('delete-all')")
    db.conn.commit()
    assert "1 changes written by another tool wait to be indexed" in search.check(db)[0]
    db.close()
    db = store.open_db(db_path)
    assert found(db, "科技") == ["a"] and search.check(db) == []

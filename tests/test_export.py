"""`docsites export`: jsonl, parquet and csv in the shape corpus users expect; --where; duplicates."""
import csv
import json
import sqlite3

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from docsites.cli import cli
from pipelines import store
from pipelines.model import Document, document_id

FIELDS = ["id", "text", "url", "title", "site", "published",
          "doc_types", "admin_level", "department", "region", "years", "doc_date", "meta"]


@pytest.fixture
def corpus(db_path):
    db = store.open_db(db_path)
    with store.transaction(db):
        for i, (site, published) in enumerate([("a.example", "2019-05-01"), ("a.example", "2021-01-01"),
                                                ("b.example", "2022-07-07")]):
            store.record_document(db, Document(
                url=f"http://{site}/doc/{i}.html", site=site, title=f"报告{i}", text=f"第{i}号文件，内容“引号”,逗号\n换行。",
                lang="zh", published=published, meta={"author": f"作者{i}"}, doc_types=["工作总结", "工作计划"],
                admin_level="县", department="科技局", region="泗洪县", years=[2020 + i, 2021 + i],
                doc_date=f"202{i}-12-28"), content_hash=str(i))
        store.record_duplicate(db, Document(url="http://c.example/copy.html", site="c.example", title="报告0（转载）"),
                               dup_of=document_id("http://a.example/doc/0.html", 0), kind="near", similarity=0.93)
    db.close()
    return db_path


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_jsonl_has_the_corpus_fields(corpus, tmp_path):
    out = tmp_path / "c.jsonl"
    result = run("export", "--db", corpus, "--format", "jsonl", str(out))
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and all(list(r) == FIELDS for r in rows)
    first = rows[0]
    assert first["id"] == document_id("http://a.example/doc/0.html", 0)
    assert first["text"] == "第0号文件，内容“引号”,逗号\n换行。" and first["meta"] == {"author": "作者0"}
    assert (first["doc_types"], first["admin_level"], first["department"], first["region"], first["years"],
            first["doc_date"]) == (["工作总结", "工作计划"], "县", "科技局", "泗洪县", [2020, 2021], "2020-12-28")
    assert not (tmp_path / "c.jsonl.part").exists()


def test_where_and_include_duplicates(corpus, tmp_path):
    out = tmp_path / "c.jsonl"
    run("export", "--db", corpus, str(out), "--where", "site = 'a.example' AND published < '2020'", "--include-duplicates")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["url"] for r in rows] == ["http://a.example/doc/0.html", "http://c.example/copy.html"]
    copy = rows[1]
    assert copy["id"] == document_id("http://c.example/copy.html", 0) and copy["text"] == rows[0]["text"]
    assert copy["meta"]["duplicate_of"] == rows[0]["id"] and copy["meta"]["duplicate_kind"] == "near"
    # without the flag, copies stay out
    run("export", "--db", corpus, str(out))
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_parquet_and_csv_round_trip(corpus, tmp_path):
    pq_out, csv_out = tmp_path / "c.parquet", tmp_path / "c.csv"
    assert run("export", "--db", corpus, "--format", "parquet", str(pq_out)).exit_code == 0
    table = pq.read_table(pq_out)
    assert table.column_names == FIELDS and table.num_rows == 3
    assert json.loads(table.column("meta")[2].as_py()) == {"author": "作者2"}
    assert run("export", "--db", corpus, str(csv_out)).exit_code == 0   # format from the extension
    with open(csv_out, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["site"] for r in rows] == ["a.example", "a.example", "b.example"]
    assert rows[0]["text"] == "第0号文件，内容“引号”,逗号\n换行。"    # quoting survives commas and newlines
    assert [r["id"] for r in rows] == table.column("id").to_pylist()


def test_progress_bar_and_stdout(corpus):
    result = CliRunner().invoke(cli, ["export", "--db", corpus, "--format", "jsonl", "-", "--progress"])
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 3
    assert "3/3" in result.stderr and "doc" in result.stderr


def test_where_cannot_write_and_errors_are_one_line(corpus, tmp_path):
    out = str(tmp_path / "x.jsonl")
    result = CliRunner().invoke(cli, ["export", "--db", corpus, out, "--where", "1); DELETE FROM documents; --"])
    assert result.exit_code == 1 and "cannot export" in result.stderr
    assert sqlite3.connect(corpus).execute("SELECT count(*) FROM documents").fetchone()[0] == 3
    result = CliRunner().invoke(cli, ["export", "--db", corpus, str(tmp_path / "x.txt")])
    assert result.exit_code == 1 and "--format" in result.stderr
    result = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "none.db"), out])
    assert result.exit_code == 1 and "no such database" in result.stderr
    assert not (tmp_path / "x.jsonl").exists()

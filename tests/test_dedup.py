"""Dedup: exact, near (cross-script, respun) and contained (previews) copies, kept persistent and
consistent through re-ingest, supersede, documents leaving the corpus, rebuild and a kill."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pytest
from datasketch import MinHash

from pipelines import store
from pipelines.dedup import DedupConfig, Deduplicator, fingerprint, minhash, normalise, stored_config
from pipelines.extract.convert import to_traditional
from pipelines.ingest import Ingestor
from pipelines.model import Page

BIN = os.path.dirname(sys.executable)

UNITS = ["市科技局", "县教育局", "区民政局", "市交通运输局", "县农业农村局", "市生态环境局", "区卫健委", "市住建局"]
VERBS = ["扎实推进", "全面落实", "持续深化", "认真组织", "大力实施", "稳步开展", "着力加强", "积极探索"]
OBJECTS = ["重点项目建设", "民生实事工程", "基层治理改革", "安全生产检查", "人才引进计划", "营商环境优化",
           "乡村振兴示范", "数字政府建设", "城乡环境整治", "公共服务提升", "科技成果转化", "防汛抗旱准备"]
RESULTS = ["完成投资{n}万元", "覆盖{n}个村(社区)", "新增就业{n}人", "培训干部{n}人次", "办结事项{n}件",
           "同比增长{p}%", "受益群众{n}余人", "整改问题{n}个"]


def report(seed: int, chars: int = 1500) -> str:
    """A distinct work-report-like text: the same phrase stock, in a seed-given order and numbers."""
    rng = random.Random(seed)
    out = []
    while sum(map(len, out)) < chars:
        result = rng.choice(RESULTS).format(n=rng.randint(3, 9999), p=rng.randint(2, 40))
        out.append(f"{rng.choice(UNITS)}{rng.choice(VERBS)}{rng.choice(OBJECTS)}，{result}，"
                   f"第{rng.randint(1, 12)}季度{rng.choice(VERBS)}{rng.choice(OBJECTS)}。")
    return "".join(out)


def html(title: str, body: str, chrome: str = "") -> bytes:
    paras = "".join(f"<p>{p}。</p>" for p in body.split("。") if p)
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<div class='nav'>{chrome}首页 | 最新文档</div><article><h1>{title}</h1>{paras}</article>"
            f"<div class='foot'>{chrome}版权所有</div></body></html>").encode()


def page(url: str, body: str, title: str = "工作总结") -> Page:
    return Page(url, html(title, body))


def outcome_of(db, url):
    for table in ("documents", "duplicates", "rejected"):
        if db.execute(f"SELECT 1 FROM {table} WHERE url = ?", [url]).fetchone():
            return table
    return None


def cluster_of(db, url):
    row = db.execute("SELECT id FROM documents WHERE url = ?", [url]).fetchone()
    if row:
        return row[0]
    row = db.execute("SELECT dup_of FROM duplicates WHERE url = ?", [url]).fetchone()
    return row[0] if row else None


def test_vectorised_signature_is_datasketchs():
    text = normalise(report(1, 600))
    cfg = DedupConfig()
    fp = fingerprint(text, cfg)
    m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=minhash.shingle_hash32, scheme="affine32")
    m.update_batch(minhash.shingles(text, cfg.shingle))
    assert np.array_equal(fp.sig, m.hashvalues)
    assert minhash.lean_minhash(fp.sig, cfg.seed).jaccard(minhash.lean_minhash(fp.sig, cfg.seed)) == 1.0


def test_cross_script_copy_is_found(db_path):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    text = report(2)
    ing.ingest(page("http://a.example/doc/1.html", text))
    out = ing.ingest(Page("http://b.example/p-1.html", html(to_traditional("工作总结"), to_traditional(text), "繁體"),
                          headers={"content-type": "text/html; charset=utf-8"}))
    assert out[0].table == "duplicates"
    assert cluster_of(db, "http://b.example/p-1.html") == cluster_of(db, "http://a.example/doc/1.html")
    kind, sim = db.execute("SELECT kind, similarity FROM duplicates").fetchone()
    assert kind in ("exact", "near") and sim >= 0.5
    assert store.check_invariant(db) == []


@pytest.mark.parametrize("full_first", [True, False])
def test_preview_is_contained_and_the_full_text_is_kept(db_path, full_first):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    text = report(3, 2000)
    preview = text[: int(len(text) * 0.4)]
    pages = [page("http://a.example/doc/full.html", text), page("http://b.example/p-9.html", preview)]
    if not full_first:
        pages.reverse()
    first_id = ing.ingest(pages[0])[0].detail
    ing.ingest(pages[1])
    assert db["documents"].count == 1
    doc = db.execute("SELECT id, url, text FROM documents").fetchone()
    assert doc[0] == first_id                          # the id of whatever came first stays
    assert doc[1] == "http://a.example/doc/full.html"  # the full text is the one kept
    assert len(doc[2]) > len(preview) * 2
    dup = db.execute("SELECT url, dup_of, kind, similarity FROM duplicates").fetchone()
    assert dup[0] == "http://b.example/p-9.html" and dup[1] == first_id
    assert dup[2] == "contained" and dup[3] >= 0.8
    assert store.check_invariant(db) == []


def test_reports_sharing_a_long_opening_stay_apart(db_path):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    opening = report(40, 300)[:300]
    a, b = opening + report(41, 1500), opening + report(42, 1500)
    ing.ingest(page("http://a.example/doc/a.html", a))
    ing.ingest(page("http://a.example/doc/b.html", b))
    # and a preview of b that is longer than the opening still finds b, not a
    ing.ingest(page("http://c.example/p-b.html", b[:700]))
    assert db["documents"].count == 2
    assert cluster_of(db, "http://c.example/p-b.html") == cluster_of(db, "http://a.example/doc/b.html")


def test_respun_copy_is_near(db_path):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    text = report(5, 1800)
    respun = text.replace("开展", "发展").replace("建设", "建造").replace("服务", "效劳").replace("实施", "施行")
    ing.ingest(page("http://a.example/doc/5.html", text))
    assert ing.ingest(page("http://d.example/d-5.html", respun))[0].table == "duplicates"


def test_index_persists_between_runs(db_path):
    db = store.open_db(db_path)
    text = report(6)
    Ingestor(db).ingest(page("http://a.example/doc/6.html", text))
    db.close()
    db = store.open_db(db_path)
    assert db["dedup_signatures"].count == 1 and db["dedup_bands"].count > 0
    # a fresh Ingestor (a second crawl) finds the near copy through the stored bands alone
    out = Ingestor(db).ingest(page("http://b.example/doc/6.html", text[:-40] + "本文来源于网络，仅供参考学习。"))
    assert out[0].table == "duplicates"


def test_document_leaving_the_corpus_rehomes_its_duplicates(db_path):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    text = report(7)
    first = ing.ingest(page("http://a.example/doc/7.html", text))[0].detail
    ing.ingest(page("http://b.example/doc/7.html", text))
    ing.ingest(page("http://c.example/doc/7.html", text[:800]))
    ing.ingest(Page("http://a.example/doc/7.html", b"gone", status=404))
    assert store.check_invariant(db) == []
    assert db["documents"].count == 1
    assert db.execute("SELECT id FROM documents").fetchone()[0] == first  # the id lives on
    assert {r[0] for r in db.execute("SELECT url FROM duplicates")} == {"http://c.example/doc/7.html"}
    assert db["dedup_signatures"].count == 1
    # and a page whose text changed into another document: same thing
    ing.ingest(page("http://b.example/doc/7.html", report(70)))
    assert store.check_invariant(db) == []
    assert db["documents"].count == 2


def _write_pages(folder, n, seed=0):
    """n html files: every third one a copy of an earlier one, some previews."""
    paths = []
    for i in range(n):
        text = report(seed + i // 3, 1200)
        if i % 3 == 2:
            text = text[: int(len(text) * 0.6)]
        p = folder / f"{i:04d}.html"
        p.write_bytes(html(f"报告{i // 3}", text))
        paths.append(str(p))
    return paths


def _counts(db_path):
    conn = sqlite3.connect(db_path)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("pages", "documents", "duplicates", "rejected", "dedup_signatures", "dedup_bands")}
    finally:
        conn.close()


def test_reingest_of_the_same_input_adds_nothing(tmp_path, db_path):
    paths = _write_pages(tmp_path, 12)
    cmd = [os.path.join(BIN, "docsites"), "ingest", *paths, "--db", db_path]
    subprocess.run(cmd, check=True, capture_output=True)
    before = _counts(db_path)
    assert before["duplicates"] >= 8
    ids = sqlite3.connect(db_path).execute("SELECT id, url, text FROM documents ORDER BY id").fetchall()
    subprocess.run(cmd, check=True, capture_output=True)
    assert _counts(db_path) == before
    assert sqlite3.connect(db_path).execute("SELECT id, url, text FROM documents ORDER BY id").fetchall() == ids
    assert store.check_invariant(store.open_db(db_path)) == []


def test_kill_during_ingest_leaves_a_consistent_database(tmp_path, db_path):
    paths = _write_pages(tmp_path, 240, seed=100)
    cmd = [os.path.join(BIN, "docsites"), "ingest", *paths, "--db", db_path]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        time.sleep(0.2)
        try:
            if os.path.exists(db_path) and _counts(db_path)["duplicates"] >= 20:
                break
        except sqlite3.OperationalError:  # schema not there yet
            pass
    assert proc.poll() is None, "ingest finished before it could be killed; give it more pages"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = store.open_db(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.check_invariant(db) == []
    # the index holds exactly the stored documents
    assert db.execute("SELECT count(*) FROM documents d JOIN dedup_signatures s ON s.doc_id = d.id").fetchone()[0] \
        == db["documents"].count == db["dedup_signatures"].count
    db.close()
    subprocess.run(cmd, check=True, capture_output=True)
    counts = _counts(db_path)
    assert counts["pages"] == 240 and counts["documents"] == 80
    assert store.check_invariant(store.open_db(db_path)) == []


def _corpus_for_verbs(db_path):
    db = store.open_db(db_path)
    ing = Ingestor(db)
    text = report(8, 2000)
    respun_preview = text.replace("推进", "推动").replace("落实", "贯彻")[:900]
    full_id = ing.ingest(page("http://a.example/doc/8.html", text))[0].detail
    ing.ingest(page("http://b.example/p-8.html", respun_preview))
    ing.ingest(page("http://c.example/doc/9.html", report(9, 1500)))
    return db, full_id


def run_cli(*args):
    from click.testing import CliRunner

    from docsites.cli import cli
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_explain_says_what_a_page_was_matched_to_and_why(db_path):
    db, full_id = _corpus_for_verbs(db_path)
    result = run_cli("dedup", "--explain", "http://b.example/p-8.html", "--db", db_path)
    assert result.exit_code == 0, result.output
    assert "duplicate (contained" in result.output and full_id in result.output
    assert "http://a.example/doc/8.html" in result.output and "containment of the shorter" in result.output
    assert "shared passage" in result.output
    report_json = run_cli("dedup", "--explain", "http://b.example/p-8.html", "--db", db_path, "--json")
    rep = __import__("json").loads(report_json.output)[0]
    assert rep["dup_of"] == full_id and rep["now"]["containment"] >= 0.7 and rep["now"]["shared"] > 100
    doc = run_cli("dedup", "--explain", "http://a.example/doc/8.html", "--db", db_path)
    assert "stored document" in doc.output and "http://b.example/p-8.html" in doc.output
    assert run_cli("dedup", "--explain", "http://nowhere.example/", "--db", db_path).exit_code == 1


def test_rebuild_reclusters_after_a_threshold_change_and_keeps_ids(db_path):
    db, full_id = _corpus_for_verbs(db_path)
    ids_before = {r[0] for r in db.execute("SELECT id FROM documents")}
    db.close()
    strict = run_cli("dedup", "--rebuild", "--containment-threshold", "0.99", "--near-threshold", "0.99", "--db", db_path)
    assert strict.exit_code == 0, strict.output
    db = store.open_db(db_path)
    assert db["documents"].count == 3 and db["duplicates"].count == 0
    assert ids_before <= {r[0] for r in db.execute("SELECT id FROM documents")}
    assert store.check_invariant(db) == [] and db["dedup_signatures"].count == 3
    # the stricter setting is the database's now: a later ingest uses it too
    assert Deduplicator(db).config.containment_threshold == 0.99
    db.close()
    back = run_cli("dedup", "--rebuild", "--containment-threshold", "0.7", "--near-threshold", "0.5", "--db", db_path)
    assert back.exit_code == 0, back.output
    db = store.open_db(db_path)
    assert {r[0] for r in db.execute("SELECT id FROM documents")} == ids_before
    assert db.execute("SELECT dup_of FROM duplicates").fetchall() == [(full_id,)]
    assert store.check_invariant(db) == []


def test_bulk_index_equals_the_incremental_one(db_path):
    from pipelines.dedup.bulk import bulk_index
    db = store.open_db(db_path)
    ing = Ingestor(db)
    for i in range(6):
        ing.ingest(page(f"http://a.example/doc/{i}.html", report(200 + i)))
    incremental = (set(db.execute("SELECT doc_id, nshingles, sig, psig FROM dedup_signatures").fetchall()),
                   set(db.execute("SELECT b.h, s.doc_id FROM dedup_bands b JOIN dedup_signatures s USING (key)").fetchall()))
    db.execute("DELETE FROM dedup_bands")
    db.execute("DELETE FROM dedup_signatures")
    db.conn.commit()
    db.close()
    assert bulk_index(db_path, workers=2)["documents"] == 6
    db = store.open_db(db_path)
    assert (set(db.execute("SELECT doc_id, nshingles, sig, psig FROM dedup_signatures").fetchall()),
            set(db.execute("SELECT b.h, s.doc_id FROM dedup_bands b JOIN dedup_signatures s USING (key)").fetchall())) \
        == incremental
    # and dedup works on it
    assert Ingestor(db).ingest(page("http://b.example/doc/3.html", report(203)))[0].table == "duplicates"


def test_settings_override_the_stored_config():
    base = DedupConfig(near_threshold=0.6)
    cfg = DedupConfig.from_settings({"DEDUP_CONTAINMENT_THRESHOLD": "0.8", "DEDUP_SHINGLE": "4"}, base)
    assert (cfg.containment_threshold, cfg.shingle, cfg.near_threshold) == (0.8, 4, 0.6)
    assert cfg.index_params() != DedupConfig().index_params()  # shingle is an index parameter


def test_signature_of_a_text_longer_than_a_block_is_datasketchs():
    rng = np.random.default_rng(5)
    text = "".join(chr(c) for c in rng.integers(0x4E00, 0x4E00 + 3000, minhash.SIGNATURE_BLOCK * 2 + 777))
    cfg = DedupConfig()
    fp = fingerprint(text, cfg, normalised=True)
    m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=minhash.shingle_hash32, scheme="affine32")
    m.update_batch(minhash.shingles(text, cfg.shingle))
    assert np.array_equal(fp.sig, m.hashvalues)


def test_signature_memory_does_not_grow_with_permutations_times_length():
    import tracemalloc
    hv32 = np.arange(500_000, dtype=np.uint32)  # a 500,000-character page's shingles
    tracemalloc.start()
    try:
        minhash.signature(hv32, 128, 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 32 * 2**20, f"{peak / 2**20:.0f} MiB"  # 128 x 500,000 x 4 bytes would be 244 MiB


def test_index_parameters_other_than_the_stored_index_are_refused_not_used(db_path):
    from pipelines.dedup import IndexMismatch
    db, _ = _corpus_for_verbs(db_path)
    with pytest.raises(IndexMismatch, match=r"built with shingle=5, the settings now say shingle=4.*--rebuild"):
        Deduplicator(db, DedupConfig(shingle=4))
    # thresholds are not index parameters: they apply to the index as it is
    assert Deduplicator(db, DedupConfig(near_threshold=0.9)).config.near_threshold == 0.9
    explained = run_cli("dedup", "--explain", "http://b.example/p-8.html", "--shingle", "4", "--db", db_path)
    assert explained.exit_code == 1 and "--rebuild" in explained.output and "Traceback" not in explained.output
    # a rebuild with the new value builds the index with it, and then it is the stored one
    assert run_cli("dedup", "--rebuild", "--shingle", "4", "--db", db_path).exit_code == 0
    assert Deduplicator(db).config.shingle == 4
    respun = report(8, 2000).replace("推进", "推动").replace("落实", "贯彻")
    assert Ingestor(db).ingest(page("http://d.example/respun.html", respun))[0].table == "duplicates"


def test_new_index_parameters_are_taken_while_the_index_is_empty(db_path):
    db = store.open_db(db_path)
    assert Deduplicator(db).config.shingle == 5
    assert Deduplicator(db, DedupConfig(shingle=4)).config.shingle == 4
    assert stored_config(db).shingle == 4

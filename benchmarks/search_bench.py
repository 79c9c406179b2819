"""Search benchmark: generated corpus of N documents of ~2,000 characters, Chinese terms of 1–6 characters.

Prints: generation and indexing time (documents are inserted through the real triggers), index
size, and search latency for each term, measured two ways:

  sql   the statement Datasette runs for `/corpus/documents?_search=TERM` (first page of 20, newest
        first) plus its count(*), on a read-only connection prepared by the plugin;
  http  GET /corpus/documents.json?_search=TERM on a real `docsites serve`: the page, the count and
        the five default facets (doc_types, admin_level, department, years, site), as the browser gets
        them; with `_nofacet=1` (page + count); and the HTML page /corpus/documents?_search=TERM.

Usage:
    .venv/bin/python benchmarks/search_bench.py [--docs 100000] [--db /tmp/search-bench.db] [--reuse]
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sqlite3
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pipelines import search, store  # noqa: E402

# Words of government work reports; the rest of the vocabulary is random Han characters.
WORDS = ("工作 发展 建设 推进 加强 管理 服务 社会 经济 企业 项目 创新 改革 农村 教育 安全 重点 制度 组织 群众 "
         "干部 政府 质量 市场 文化 提高 落实 完善 坚持 全面 开展 实施 机制 体系 能力 水平 保障 城市 生态 环境 "
         "科学 技术 人才 学校 学生 医疗 卫生 资金 政策 规划 会议 报告 总结 计划 方案 意见 通知 领导 责任 目标").split()
COMMON_CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"


def vocabulary(rng: random.Random):
    """(tokens, cumulative weights): Zipf-weighted words and single characters."""
    chars = list(dict.fromkeys(COMMON_CHARS))
    tokens = list(WORDS) + ["科技"] + chars
    # 科技 is a common word (about a third of the documents contain it), not the most common.
    weights = [1 / (i + 1) ** 0.9 for i in range(len(WORDS))] + [0.004] + [0.5 / (i + 1) for i in range(len(chars))]
    return tokens, list(itertools.accumulate(weights))


PUNCT = "，，，。；、"


TYPES = ["工作总结", "工作计划", "工作要点", "工作报告", "述职报告", "实施方案", "讲话", "心得体会", "规章制度", "其他"]
LEVELS = ["省", "市", "县", "区", "乡镇", "街道", "村", None]
DEPARTMENTS = ["科技局", "教育局", "卫健委", "财政局", "人民政府", "发改委", "民政局", "统计局", None]


def report_metadata(rng: random.Random) -> tuple:
    """(doc_types, admin_level, department, region, years, doc_date) as stored: the facets' columns."""
    types = rng.sample(TYPES[:9], rng.choice([1, 1, 1, 2])) if rng.random() > 0.1 else ["其他"]
    year = rng.randint(2010, 2025)
    years = [year] if rng.random() > 0.3 else [year, year + 1]
    return (json.dumps(types, ensure_ascii=False), rng.choice(LEVELS), rng.choice(DEPARTMENTS), None,
            json.dumps(years), f"{year}-12-{rng.randint(10, 28)}")


def generate(n: int, seed: int = 1, chars: int = 2000):
    """Yield (id, url, title, text, published, *report metadata) rows; fast: one random.choices call
    per document."""
    rng = random.Random(seed)
    tokens, cum = vocabulary(rng)
    per_doc = int(chars / 1.75)   # tokens average ~1.75 characters with the punctuation below
    years = [str(y) for y in range(2010, 2026)]
    for i in range(n):
        words = rng.choices(tokens, cum_weights=cum, k=per_doc)
        for j in range(7, per_doc, rng.randint(8, 14)):
            words[j] += rng.choice(PUNCT)
        if i % 100 == 0:   # the 6-character term in 1% of the documents
            words[rng.randrange(per_doc)] = "北京市科技局"
        text = "".join(words)
        title = "".join(words[:6])
        yield (f"{i:016x}", f"http://bench.example/doc/{i}.html", title, text, f"{rng.choice(years)}-06-01",
               *report_metadata(rng))


def build(path: str, n: int) -> dict:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = store.open_db(path)
    sql = ("INSERT INTO documents (id, url, part, site, title, text, chars, lang, published, traditional, truncated, "
           "doc_types, admin_level, department, region, years, doc_date) "
           "VALUES (?, ?, 0, 'bench.example', ?, ?, ?, 'zh', ?, 0, 0, ?, ?, ?, ?, ?, ?)")
    t_gen = t_index = 0.0
    rows = generate(n)
    while True:
        t0 = time.perf_counter()
        batch = [(i, u, t, x, len(x), p, *m) for i, u, t, x, p, *m in itertools.islice(rows, 5000)]
        t1 = time.perf_counter()
        if not batch:
            break
        with store.transaction(db):   # the triggers mark the rows, the batch is indexed before COMMIT
            db.conn.executemany(sql, batch)
        t_gen, t_index = t_gen + (t1 - t0), t_index + (time.perf_counter() - t1)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    chars = db.execute("SELECT sum(chars) FROM documents").fetchone()[0]
    sizes = dict(db.execute(
        "SELECT CASE WHEN name LIKE 'documents_fts%' THEN 'index' ELSE 'rest' END, sum(pgsize) FROM dbstat GROUP BY 1"
    ).fetchall())
    db.close()
    return {"docs": n, "chars": chars, "generate_s": round(t_gen, 1), "insert_and_index_s": round(t_index, 1),
            "index_mb": round(sizes.get("index", 0) / 1e6, 1), "rest_mb": round(sizes.get("rest", 0) / 1e6, 1),
            "file_mb": round(os.path.getsize(path) / 1e6, 1)}


TERMS = ["科", "科技", "北京", "创新发展", "北京市科技局"]


def timed(fn, repeat=5):
    fn()   # warm-up (page cache, statement cache)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1), round(max(times), 1)


def sql_latency(path: str) -> dict:
    from docsites.datasette_plugin import prepare_connection
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    from datasette.utils import escape_fts
    conn.create_function("escape_fts", 1, escape_fts)
    prepare_connection(conn, "bench", None)   # what the plugin does to Datasette's connections
    where = "rowid in (select rowid from documents_fts where documents_fts match escape_fts(:search))"
    page = f"select id, title, site, published from documents where {where} order by published desc limit 21"
    count = f"select count(*) from documents where {where}"
    out = {}
    for term in TERMS:
        matches = conn.execute(count, {"search": term}).fetchone()[0]
        page_ms = timed(lambda term=term: conn.execute(page, {"search": term}).fetchall())
        both_ms = timed(lambda term=term: (conn.execute(page, {"search": term}).fetchall(),
                                           conn.execute(count, {"search": term}).fetchone()))
        out[term] = {"matches": matches, "page_ms": page_ms[0], "page_and_count_ms": both_ms[0],
                     "page_and_count_max_ms": both_ms[1]}
    conn.close()
    return out


def http_latency(path: str) -> dict:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from tests.test_serve import Server
    server = Server(path)
    name = os.path.splitext(os.path.basename(path))[0]
    out = {}
    try:
        for term in TERMS:
            def full(term=term):
                return json.loads(server.get(f"/{name}/documents.json", _search=term))
            def nofacet(term=term):
                return json.loads(server.get(f"/{name}/documents.json", _search=term, _nofacet="1"))
            def html(term=term):
                return server.get(f"/{name}/documents", _search=term)
            first = full()
            out[term] = {"matches": first["filtered_table_rows_count"], "page_count_facets_ms": timed(full)[0],
                         "facets_timed_out": first.get("facets_timed_out", []), "page_count_ms": timed(nofacet)[0],
                         "html_page_ms": timed(html)[0]}
        # the table with its facets and no search: every document counted
        out["(no search)"] = {"page_count_facets_ms": timed(lambda: server.get(f"/{name}/documents.json"))[0],
                              "html_page_ms": timed(lambda: server.get(f"/{name}/documents"))[0]}
        out["(type, level, year)"] = {"page_count_facets_ms": timed(lambda: server.get(
            f"/{name}/documents.json", _search="科技", doc_types__arraycontains="工作总结", admin_level="县",
            years__contains="2023"))[0]}
    finally:
        server.stop()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--db", default="/tmp/search-bench.db")
    parser.add_argument("--reuse", action="store_true", help="measure an existing --db instead of building it")
    args = parser.parse_args()
    if not args.reuse:
        built = build(args.db, args.docs)
        print("build:", json.dumps(built))
    print("sql:", json.dumps(sql_latency(args.db), ensure_ascii=False))
    print("http:", json.dumps(http_latency(args.db), ensure_ascii=False))
    # read-only: opening a corpus of another layout with store.open_db would migrate it
    import sqlite_utils
    problems = search.check(sqlite_utils.Database(sqlite3.connect(f"file:{args.db}?mode=ro", uri=True)))
    print("index check:", problems or "ok")


if __name__ == "__main__":
    main()

"""Peak memory of one giant page: extracting it (what a crawl's extraction worker does) and storing it
(what the crawl's corpus writer or `docsites ingest` does: dedup signatures, search index, corpus.db),
each in a fresh process, so each figure is that step's own peak RSS.

    .venv/bin/python benchmarks/page_memory.py --mib 20
"""
from __future__ import annotations

import argparse
import os
import pickle
import random
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

WORDS = ("科技", "工作", "总结", "推进", "加强", "知识产权", "保护", "合作", "创新", "发展", "企业", "服务",
         "管理", "建设", "落实", "提升", "机制", "项目", "资金", "群众", "社区", "改革", "监管", "政策")


def giant_page(mib: float, seed: int = 1) -> bytes:
    """An article page of `mib` MiB: paragraphs of Chinese prose that do not repeat."""
    rng = random.Random(seed)
    parts, size = ["<html><head><meta charset='utf-8'><title>巨型页面</title></head><body><div class='article'>"], 0
    while size < mib * 1024 * 1024:
        para = "<p>" + "，".join("".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))) for _ in range(6)) + "。</p>\n"
        parts.append(para)
        size += len(para.encode("utf-8"))
    parts.append("</div></body></html>")
    return "".join(parts).encode("utf-8")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(name: str, workdir: str) -> None:
    from pipelines.ingest import Ingestor, run_extraction
    from pipelines.model import Page
    with open(os.path.join(workdir, "page.pickle"), "rb") as f:
        page = pickle.load(f)
    base = peak_mib()
    t0 = time.perf_counter()
    if name == "extract":
        result = run_extraction(page)
        with open(os.path.join(workdir, "result.pickle"), "wb") as f:
            pickle.dump(result, f)
        detail = f"{sum(len(d.text) for d in result.documents)} chars in {len(result.documents)} documents"
    else:
        from pipelines import store
        with open(os.path.join(workdir, "result.pickle"), "rb") as f:
            result = pickle.load(f)
        db = store.open_db(os.path.join(workdir, "corpus.db"))
        outcomes = Ingestor(db).store(page, result)
        detail = ", ".join(f"{o.table}" for o in outcomes)
    assert isinstance(page, Page)
    print(f"{name}: peak RSS {peak_mib():.0f} MiB (imports and page: {base:.0f} MiB), "
          f"{time.perf_counter() - t0:.1f} s, {detail}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=float, default=20)
    ap.add_argument("--step", choices=["extract", "store"])
    ap.add_argument("--workdir")
    args = ap.parse_args()
    if args.step:
        step(args.step, args.workdir)
        return
    from pipelines.model import Page
    with tempfile.TemporaryDirectory() as workdir:
        body = giant_page(args.mib)
        with open(os.path.join(workdir, "page.pickle"), "wb") as f:
            pickle.dump(Page(url="http://127.0.0.1/giant.html", body=body,
                             headers={"content-type": "text/html; charset=utf-8"}), f)
        print(f"page: {len(body) / 2**20:.1f} MiB of HTML")
        for name in ("extract", "store"):
            subprocess.run([sys.executable, __file__, "--step", name, "--workdir", workdir], check=True)


if __name__ == "__main__":
    main()

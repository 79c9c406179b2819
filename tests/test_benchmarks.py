"""The benchmark scripts still run: each at a tiny size, checked for its summary line.

Speed is not asserted here (docs/benchmarks.md has the figures and the commands); this only keeps
the scripts from rotting as the code they measure changes.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("args, expect", [
    (["crawl_bench.py", "--docs", "40", "--per-listing", "20"],
     r"full: \d+ pages .* 40 documents stored, 0 invariant problems\n.*full processing reaches \d+%"),
    (["dedup_quality.py", "--docs", "30"], r"docsites dedup \[default\]: precision [\d.]+ recall [\d.]+ F1"),
    (["dedup_candidates.py", "--docs", "40"], r"pair recall [\d.]+"),
    (["dedup_scale.py", "--docs", "2000", "--add", "10", "--workers", "1"],
     r"index: 2000 documents.*\n.*add one document to the 2000-document index .* median [\d.]+ ms"),
    (["search_bench.py", "--docs", "200"], r"index check: ok"),
    (["eval_extract.py"], r"mean F1"),
    # too small for a figure (the workers' start-up skew can leave no window with both crawling)
    (["distributed_bench.py", "--docs", "30", "--workers", "1,2", "--repeat", "1"],
     r"2 workers \(run 1.*\d+ pages \(per worker .*, 0 fetched twice, 30 documents\n(.*\n)*2 workers: median \S+ pages/s"),
    (["ingest_bench.py", "--pages", "40"],
     r"naive: \d+ pages .* duplicate-cluster F1 [\d.]+, mean text F1 [\d.]+.*\n"
     r"docsites ingest: \d+ pages .* peak RSS \d+ MiB; duplicate-cluster F1 [\d.]+.*\n"
     r"docsites ingest is [\d.]+x the naive"),
], ids=lambda v: v[0] if isinstance(v, list) else None)
def test_benchmark_runs(tmp_path, args, expect):
    if args[0] in ("dedup_scale.py", "search_bench.py"):
        args = args + ["--db", str(tmp_path / "bench.db")]
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", args[0]), *args[1:]], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.search(expect, proc.stdout), proc.stdout[-3000:]

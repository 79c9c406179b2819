#!/usr/bin/env python3
"""Extraction speed on ../shared/devset/real-zh: `docsites extract` (all cores, the whole pipeline:
decode, body finding — on articles three finders, on threads our density scorer alone —, cleaning,
OpenCC, langid) against trafilatura alone on the same pages (one process, favor_recall). Prints
pages/s of each.

usage: .venv/bin/python benchmarks/extract_speed.py [--repeat N]
"""
from __future__ import annotations

import argparse
import glob
import os
import pathlib
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = sorted(glob.glob(os.path.join(os.path.dirname(ROOT), "shared", "devset", "real-zh", "html", "*.html")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if not PAGES:
        sys.exit("../shared/devset/real-zh not present")
    docsites = os.path.join(ROOT, ".venv", "bin", "docsites")
    best = None
    for _ in range(a.repeat):
        t = time.perf_counter()
        subprocess.run([docsites, "extract", *PAGES], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print(f"docsites extract ({os.cpu_count()} cores): {len(PAGES)} pages in {best:.2f} s = {len(PAGES) / best:.1f} pages/s")

    import trafilatura

    from pipelines.extract.decode import decode
    bodies = [decode(pathlib.Path(p).read_bytes())[0] for p in PAGES]
    best = None
    for _ in range(a.repeat):
        t = time.perf_counter()
        for html in bodies:
            trafilatura.extract(html, favor_recall=True)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print(f"trafilatura alone (1 process, decoded input): {len(PAGES)} pages in {best:.2f} s = {len(PAGES) / best:.1f} pages/s")


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    main()

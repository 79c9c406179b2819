"""Hostile input, counted: how each class of bad input ends (docs/reliability.md).

Runs the generators of tests/test_robustness.py many more times than the test does, plus
single-byte corruptions and cut-off bodies of real-looking UTF-8 and GBK pages, each through the
real extraction (with its time budget) and `Ingestor.store` into a fresh corpus.db. Prints, per
class, how many inputs were tried, how they ended (documents / duplicates / rejected by reason),
the slowest one, and whether any raised or broke the one-place invariant.

    .venv/bin/python benchmarks/fuzz_inputs.py --examples 500
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from crawler.pipelines import WARM_UP_PAGE  # noqa: E402
from pipelines import store  # noqa: E402
from pipelines.ingest import Ingestor, run_extraction  # noqa: E402
from pipelines.inputs import InputError, read_pages  # noqa: E402
from pipelines.model import Page  # noqa: E402
from tests.test_robustness import BUDGET, SEED_BODIES, WARCS, mutated, text_in_a_charset  # noqa: E402


class Tally:
    def __init__(self, ingestor: Ingestor):
        self.ingestor = ingestor
        self.outcomes: Counter = Counter()
        self.tried = 0
        self.slowest = 0.0
        self.crashes: list[str] = []

    def page(self, page: Page | None) -> None:
        self.tried += 1
        if page is None:  # the input file itself was refused, by name and reason (InputError)
            self.outcomes["input refused (InputError)"] += 1
            return
        t0 = time.monotonic()
        result = run_extraction(page, budget=BUDGET)
        self.slowest = max(self.slowest, time.monotonic() - t0)
        try:
            for o in self.ingestor.store(page, result):
                self.outcomes[o.detail if o.table == "rejected" else o.table] += 1
        except Exception as e:  # noqa: BLE001 - counted: this is what the run is looking for
            self.crashes.append(f"{e.__class__.__name__}: {e}")

    def report(self, name: str) -> None:
        problems = store.check_invariant(self.ingestor.db)
        ends = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common())
        print(f"{name}: {self.tried} tried; {ends}; slowest {self.slowest:.2f} s (budget {BUDGET:g} s); "
              f"crashes {len(self.crashes)}; invariant problems {len(problems)}")
        for c in self.crashes[:3]:
            print("   ", c)


def fuzz(name: str, strategy, make_pages, examples: int, ingestor: Ingestor) -> None:
    tally = Tally(ingestor)

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case):
        for page in make_pages(case):
            tally.page(page)
    run()
    tally.report(name)


def html_pages(body):
    yield Page(url=f"http://fuzz.example/{hash(body)}", body=body)


def text_pages(case):
    body, header = case
    yield Page(url=f"http://fuzz.example/t{hash(body)}", body=body, headers={"content-type": header} if header else {})


def random_pages(case):
    body, kind = case
    yield Page(url=f"http://fuzz.example/r{hash(body)}", body=body, kind=kind)


def warc_pages(warc):
    with tempfile.NamedTemporaryFile(suffix=".warc.gz") as f:
        f.write(warc)
        f.flush()
        try:
            yield from list(read_pages(f.name))
        except InputError:
            yield None


def corruptions(examples: int, ingestor: Ingestor) -> None:
    """Single bad bytes and cut-off bodies of real-looking pages (what lost pages before)."""
    rng = random.Random(1)
    text = "县科技局认真贯彻落实上级决策部署，扎实推进科技创新工作，取得了明显成效。" * 30
    for charset in ("utf-8", "gbk"):
        body = f"<html><head><meta charset='{charset}'><title>工作总结</title></head><body><p>{text}</p></body></html>"
        raw = body.encode(charset)
        tally = Tally(ingestor)
        for i in range(examples):
            at = rng.randrange(len(raw) // 4, len(raw))
            bad = raw[:at] + bytes([rng.randrange(128, 256)]) + raw[at + 1:]
            tally.page(Page(url=f"http://fuzz.example/{charset}/bad/{i}", body=bad))
        tally.report(f"one bad byte in a {charset} page")
        tally = Tally(ingestor)
        for i in range(examples):
            tally.page(Page(url=f"http://fuzz.example/{charset}/cut/{i}", body=raw[:rng.randrange(len(raw) // 2, len(raw))]))
        tally.report(f"a {charset} page cut at a random byte")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=500)
    args = ap.parse_args()
    run_extraction(WARM_UP_PAGE)
    with tempfile.TemporaryDirectory() as tmp:
        ingestor = Ingestor(store.open_db(os.path.join(tmp, "corpus.db")))
        t0 = time.monotonic()
        corruptions(args.examples // 2, ingestor)
        fuzz("random bytes (as HTML and as text)", st.tuples(st.binary(max_size=20000), st.sampled_from(["html", "text"])),
             random_pages, args.examples, ingestor)
        fuzz("mutated HTML pages", mutated(), html_pages, args.examples, ingestor)
        fuzz("text in any charset, any declaration", text_in_a_charset(), text_pages, args.examples, ingestor)
        fuzz("mutated WARC files", mutated(bodies=WARCS), warc_pages, args.examples // 2, ingestor)
        print(f"seed pages: {len(SEED_BODIES)}; {time.monotonic() - t0:.0f} s in all")


if __name__ == "__main__":
    main()

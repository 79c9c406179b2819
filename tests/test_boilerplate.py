"""Per-site boilerplate learned from the stored pages (pipelines/extract/boilerplate.py): on the Ingestor
page by page, then on a crawl of an invented site whose chrome no rule knows, which `docsites
rebuild` and `docsites ingest` must give back line for line."""
import html
import random

import pytest
from click.testing import CliRunner

from docsites.cli import cli
from pipelines import store
from pipelines.extract import boilerplate, extract_page
from pipelines.ingest import Ingestor
from pipelines.model import Page
from tests.sitefarm import FakeSite, Reply, listing_page, make_text, make_title, run_crawl

RNG = random.Random("boilerplate")
N_PAGES = 32
# The invented site's chrome, inside the article where the body finder keeps it; the second line
# varies by page only in its digits.
CHROME = ["喵喵文档馆提醒您：资料整理不易，且看且珍惜", "感谢您对喵喵文档馆的喜爱与支持"]


def stamp(i: int) -> str:
    return f"本篇为喵馆第{1000 + i * 7}号藏品，存放于第{i % 12 + 1}架第{i % 5 + 1}层"


OPENING = "尊敬的各位领导、各位同事："  # a third of the documents open with it: theirs, not chrome
CHEER = "同心协力，再创佳绩！"  # one document repeats it a dozen times: still one page's line
BODIES = [make_text(RNG, 3000 + i, 300) for i in range(N_PAGES)]
TITLES = [make_title(RNG, 3000 + i) for i in range(N_PAGES)]


def body_lines(i: int) -> list[str]:
    lines = list(BODIES[i])
    if i % 3 == 0:
        lines.insert(0, OPENING)
    if i == 5:
        lines += [CHEER] * 12
    return lines


def doc_page(i: int) -> str:
    paras = "".join(f"<p>{html.escape(x)}</p>" for x in [CHROME[0], *body_lines(i), stamp(i), CHROME[1]])
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{TITLES[i]}</title></head>'
            f'<body><div class="nav"><a href="/">首页</a></div><article><h1>{TITLES[i]}</h1>{paras}</article>'
            f'</body></html>')


def chrome_left(text: str, i: int) -> list[str]:
    return [x for x in (*CHROME, stamp(i)) if x in text]


def page(i: int, base: str = "http://miao.example") -> Page:
    return Page(url=f"{base}/doc/{i}.html", body=doc_page(i).encode("utf-8"),
                headers={"content-type": "text/html; charset=utf-8"})


def test_no_rule_knows_the_chrome():
    for i in (0, 1):
        text = extract_page(page(i)).documents[0].text
        assert chrome_left(text, i) == [*CHROME, stamp(i)]


def test_shape_folds_digits_and_space():
    assert boilerplate.shape(stamp(1)) == boilerplate.shape(stamp(2))
    assert boilerplate.shape(" 第 12  页 ") == "第 0 页"
    assert boilerplate.shape("春季工作") != boilerplate.shape("夏季工作")
    assert boilerplate.site_key("https://www.a.example/x") == "a.example"
    assert boilerplate.site_key("http://127.0.0.1:8001/x") != boilerplate.site_key("http://127.0.0.1:8002/x")
    assert boilerplate.site_key("saved/page.html") is None


def texts(db) -> dict:
    return {url: text for url, text in db.execute("SELECT url, text FROM documents ORDER BY url")}


def test_chrome_is_cut_once_seen_on_enough_pages_and_early_pages_are_cut_again(tmp_path):
    db = store.open_db(str(tmp_path / "c.db"))
    ingestor = Ingestor(db)
    for i in range(boilerplate.MIN_PAGES - 1):
        ingestor.ingest(page(i))
    # not enough pages yet: nothing is chrome
    assert all(chrome_left(t, int(u.split("/")[-1][:-5])) for u, t in texts(db).items())
    ingestor.ingest(page(boilerplate.MIN_PAGES - 1))
    for url, text in texts(db).items():  # the first pages too, cut again when the model matured
        i = int(url.split("/")[-1][:-5])
        assert chrome_left(text, i) == [], url
        assert "\n".join(body_lines(i)) == text
    chrome = {s for s, in db.execute("SELECT shape FROM boilerplate_lines WHERE chrome = 1")}
    assert chrome == {boilerplate.shape(x) for x in (*CHROME, stamp(0))}
    assert db.execute("SELECT pages FROM boilerplate_sites").fetchone() == (boilerplate.MIN_PAGES,)
    # the same page again is not another page
    ingestor.ingest(page(3))
    assert db.execute("SELECT pages FROM boilerplate_sites").fetchone() == (boilerplate.MIN_PAGES,)
    # another site knows nothing of it
    ingestor.ingest(page(20, "http://other.example"))
    assert chrome_left(texts(db)["http://other.example/doc/20.html"], 20) == [*CHROME, stamp(20)]
    assert store.check_invariant(db) == []


def test_a_line_that_stops_recurring_stops_being_chrome(tmp_path):
    """A line on the first pages of a site only: chrome while most pages hold it, back in those
    pages' documents once the site's other pages outnumber them."""
    db = store.open_db(str(tmp_path / "c.db"))
    ingestor = Ingestor(db)
    banner = "喵喵文档馆开业大酬宾，全场资料限时免费"
    first = boilerplate.MIN_PAGES
    for i in range(first):
        p = page(i)
        p.body = p.body.replace(b"<article>", f"<article><p>{banner}</p>".encode())
        ingestor.ingest(p)
    assert not any(banner in t for t in texts(db).values())
    for i in range(first, 2 * first + 2):  # share of the banner: 10/22 < SHARE_OFF
        ingestor.ingest(page(i))
    got = texts(db)
    assert all(banner in got[f"http://miao.example/doc/{i}.html"] for i in range(first))
    assert not any(chrome_left(t, 0)[:2] for t in got.values())  # the chrome on every page stays out
    assert store.check_invariant(db) == []


def test_cutting_chrome_again_keeps_dedup_right(tmp_path):
    """Two pages whose documents differ only in a stamp line: once the stamp is chrome they are
    one document, and the early copy's re-cut goes through dedup like any stored page."""
    db = store.open_db(str(tmp_path / "c.db"))
    ingestor = Ingestor(db)
    twin = page(1)
    twin.url = "http://miao.example/doc/1-copy.html"
    twin.body = twin.body.replace(stamp(1).encode(), stamp(2).encode())
    ingestor.ingest(page(1))
    ingestor.ingest(twin)
    for i in range(2, boilerplate.MIN_PAGES + 1):
        ingestor.ingest(page(i))
    assert store.check_invariant(db) == []
    outcome = {u: "doc" for u, in db.execute("SELECT url FROM documents")}
    outcome.update({u: k for u, k in db.execute("SELECT url, kind FROM duplicates")})
    assert outcome["http://miao.example/doc/1.html"] == "doc"
    assert outcome[twin.url] != "doc"
    signatures = db.execute("SELECT count(*) FROM dedup_signatures").fetchone()[0]
    assert signatures == db["documents"].count


# --- a crawl of the invented site, then rebuild and ingest -----------------------------------
@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    site = FakeSite("miao")
    for i in range(N_PAGES):
        site.routes[f"/doc/{i}.html"] = Reply.html(doc_page(i))
        site.docs[f"/doc/{i}.html"] = TITLES[i]
    site.routes["/"] = Reply.html(listing_page("喵喵文档馆", "首页", [(f"/doc/{i}.html", TITLES[i])
                                                                  for i in range(N_PAGES)]))
    site.start()
    db_path = str(tmp_path_factory.mktemp("miao") / "corpus.db")
    try:
        run_crawl(db_path, {"start_urls": site.base + "/"}, {"EXTRACT_WORKERS": 2})
    finally:
        site.stop()
    return db_path, site.base


def test_crawl_cuts_the_sites_chrome_from_every_document(crawled):
    db_path, base = crawled
    db = store.open_db(db_path)
    got = texts(db)
    assert len(got) == N_PAGES
    for i in range(N_PAGES):
        text = got[f"{base}/doc/{i}.html"]
        assert chrome_left(text, i) == [], i
        assert text == "\n".join(body_lines(i)), i  # the opening shared by a third, the repeated line kept
    assert store.check_invariant(db) == []


def test_rebuild_and_ingest_give_the_crawled_text(crawled, tmp_path):
    db_path, base = crawled
    before = texts(store.open_db(db_path))
    for workers in ("1", "2"):
        result = CliRunner().invoke(cli, ["rebuild", "--db", db_path, "--workers", workers])
        assert result.exit_code == 0, result.output
        assert texts(store.open_db(db_path)) == before
    # the same pages saved and ingested one by one, in another order
    ingested = str(tmp_path / "ingested.db")
    for i in reversed(range(N_PAGES)):
        saved = tmp_path / f"{i}.html"
        saved.write_text(doc_page(i), encoding="utf-8")
        result = CliRunner().invoke(cli, ["ingest", str(saved), "--url", f"{base}/doc/{i}.html", "--db", ingested])
        assert result.exit_code == 0, result.output
    assert texts(store.open_db(ingested)) == before
    assert store.check_invariant(store.open_db(ingested)) == []

"""Site profiles' extraction hints (`extraction:` and `chrome_family` in crawler/sites/*.yaml) reach
extraction: on `extract_page` one hint at a time, then through `scrapy crawl docsites`, `docsites
rebuild`, `merge` and `ingest` on fixture pages that only come out right with their profile's hints."""
import html
import json
import pathlib
import random

import pytest
from click.testing import CliRunner

from crawler.profiles import load_profiles
from docsites.cli import cli
from pipelines import store
from pipelines.extract import SiteHints, extract_page
from pipelines.model import Page
from tests.sitefarm import FakeSite, Reply, SiteFarm, make_text, profile_site, run_crawl

RNG = random.Random("hints")
BODY = make_text(RNG, 1, 300)           # the document: two paragraphs and its number line
DECOY = make_text(RNG, 2, 2500)         # another text on the page, larger than the document
TEASER = make_text(RNG, 3, 200)[0]      # the start of the next article, a full paragraph
PROMO = ("本站会员可享受全站文档免费下载、专属客服、优先审核等多项权益，开通会员即可畅享海量精品文档资源，"
         "欢迎广大用户积极上传优质文档。")
NOTICE = "每天都有新内容更新，记得常回来逛逛，祝您工作顺利、生活愉快，我们下次再见。"  # chrome no rule knows
TITLE = "2023年东城区科技局工作总结"


def paras(paragraphs) -> str:
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


def page_html(main: str, title: str = TITLE) -> str:
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a></div><h1>{title}</h1>{main}</body></html>')


# Pages whose document only the hints find right.
def container_page(body):
    return page_html(f'<div class="doc-body">{paras(body)}</div><div class="comments"><h3>网友评论</h3>'
                     f'{paras(DECOY)}</div>')


def container_stop_page(body):
    return page_html(f'<div class="main-content">{paras(body)}<p>此文档下载收益归作者所有</p><p>{PROMO}</p></div>')


def after_page(body):
    return page_html(f'<div class="main"><p>{NOTICE}</p><p>文本预览 下载提示 常见问题</p>{paras(body)}</div>')


def stop_page(body):
    return page_html(f'<article>{paras(body)}<p>上一篇：2022年西湖区教育局工作计划</p>'
                     f'<p>下一篇：2024年南山区财政局述职报告</p><p>{TEASER}</p></article>')


def cut(body):
    """A preview's body: it ends mid-sentence."""
    return body[:-2] + [body[-2][:150]]


def preview_page(body):
    return page_html(f'<div class="intro"><p>{NOTICE}</p><h2>文档简介</h2>{paras(cut(body))}</div>')


CONTAINER, AFTER, STOP, PREVIEW = container_page(BODY), after_page(BODY), stop_page(BODY), preview_page(BODY)
CUT_BODY = cut(BODY)


def page(text: str, url: str = "https://www.example.com/doc/1.html", kind: str = "html") -> Page:
    return Page(url=url, body=text.encode("utf-8"), kind=kind, headers={"content-type": "text/html; charset=utf-8"})


def text_of(result) -> str:
    assert len(result.documents) == 1, result
    return result.documents[0].text


# --- each hint on extract_page -------------------------------------------------------------------
def test_body_container_is_tried_first():
    without = text_of(extract_page(page(CONTAINER)))
    assert DECOY[0] in without  # the generic finder takes the comments along
    result = extract_page(page(CONTAINER), hints=SiteHints(body_container="//div[@class='doc-body']"))
    assert text_of(result) == "\n".join(BODY) and result.extractor == "container"
    # a selector that finds nothing leaves the page to the usual finders
    assert text_of(extract_page(page(CONTAINER), hints=SiteHints(body_container="//div[@id='nope']"))) == without


def test_body_after_starts_the_document_after_the_phrase():
    assert NOTICE in text_of(extract_page(page(AFTER)))
    assert text_of(extract_page(page(AFTER), hints=SiteHints(body_after=("文本预览",)))) == "\n".join(BODY)
    # a phrase the body does not hold cuts nothing
    assert NOTICE in text_of(extract_page(page(AFTER), hints=SiteHints(body_after=("没有这一行",))))


def test_stop_at_ends_the_document_before_the_phrase():
    assert TEASER in text_of(extract_page(page(STOP)))
    hints = SiteHints(stop_at=("上一篇", "下一篇"))
    assert text_of(extract_page(page(STOP), hints=hints)) == "\n".join(BODY)
    # body_after first, stop_at in what follows it: a stop phrase above the start does not cut all
    lines = ["下一篇：导航", "正文开始", "第一行", "上一篇：x", "尾巴"]
    assert SiteHints(body_after=("正文开始",), stop_at=("上一篇", "下一篇")).cut(lines) == ["第一行"]


def test_family_is_used_only_when_the_page_shows_none():
    url = "https://www.example.com/p-9004.html"
    without = extract_page(page(PREVIEW, url))
    assert without.family is None and not without.documents[0].truncated
    hinted = extract_page(page(PREVIEW, url), hints=SiteHints(family="read-wall", body_after=("文档简介",)))
    assert hinted.family == "read-wall"
    assert hinted.documents[0].truncated  # read-wall pages are previews: a body cut mid-sentence is cut off
    assert text_of(hinted) == "\n".join(CUT_BODY)
    # the page's own tell-tales win over the profile's family
    article = page(STOP, "https://www.example.com/article/3003")
    assert extract_page(article).family == "article"
    assert extract_page(article, hints=SiteHints(family="kv-header")).family == "article"
    # a family the rules do not know is no family
    assert extract_page(page(PREVIEW, url), hints=SiteHints(family="nope")).family is None


def test_numbered_pages():
    # preview pages that each end with a full stop: only the family (or the hint) says they are pages
    pages = [BODY[0], BODY[1], "（完）本文档共三页，以上为全部预览内容，感谢您的耐心阅读与支持，欢迎下载完整文档。"]
    text = "\n".join([TITLE] + [f"{i}、{p}" for i, p in enumerate(pages, 1)])
    plain = text_of(extract_page(page(text, "saved.txt", "text")))
    assert plain.startswith("1、") and "\n2、" in plain
    joined = text_of(extract_page(page(text, "saved.txt", "text"), hints=SiteHints(numbered_pages=True)))
    assert joined == "".join(pages)
    # and `false` keeps a numbering family's markers
    member = "\n".join([f"《{TITLE}.docx》由会员分享,可在线阅读,更多相关《{TITLE}.docx(8页珍藏版)》请在文库上搜索。"]
                       + [f"{i}、{p}" for i, p in enumerate(pages, 1)])
    assert text_of(extract_page(page(member, "saved.txt", "text"))) == "".join(pages)
    kept = text_of(extract_page(page(member, "saved.txt", "text"), hints=SiteHints(numbered_pages=False)))
    assert kept.startswith("1、") and "\n2、" in kept


def test_a_page_without_hints_is_extracted_as_before():
    for html_text in (CONTAINER, AFTER, STOP, PREVIEW):
        assert extract_page(page(html_text)) == extract_page(page(html_text), hints=None) \
            == extract_page(page(html_text), hints=SiteHints())


def test_shipped_profiles_hints():
    loaded = load_profiles()
    assert loaded["wnwk"].hints.body_container and loaded["wnwk"].hints.family == "kv-header"
    assert loaded["laojin123"].hints.stop_at == ("上一篇", "下一篇")
    assert loaded["31ppt"].hints.numbered_pages is True and loaded["renrendoc"].hints.numbered_pages is None


# --- the crawl, rebuild, merge and ingest --------------------------------------------------------
# Fixture pages on sites of shipped profiles, each showing too few tell-tales for its family and
# needing its profile's hints: (profile, path, html, expected text, truncated).
BODIES = [make_text(RNG, n, 300) for n in (11, 12, 13, 14)]  # four documents, not duplicates
HINTED = [
    ("wnwk", "/doc/9001.html", container_stop_page(BODIES[0]), "\n".join(BODIES[0]), False),  # body_container, stop_at
    ("jinchutou", "/p-9002.html", after_page(BODIES[1]), "\n".join(BODIES[1]), False),        # body_after
    ("laojin123", "/article/9003", stop_page(BODIES[2]), "\n".join(BODIES[2]), False),        # stop_at
    ("renrendoc", "/p-9004.html", preview_page(BODIES[3]), "\n".join(cut(BODIES[3])), True),  # family, body_after
]


def add_page(site: FakeSite, listing: str, path: str, text: str) -> None:
    site.routes[path] = Reply.html(text)
    site.docs[path] = TITLE
    old = site.routes[listing].body.decode("utf-8")
    site.routes[listing] = Reply.html(old.replace("<ul>", f'<ul><li><a href="{path}">{TITLE}</a></li>', 1))


LISTINGS = {"wnwk": "/list/zongjie/1.html", "jinchutou": "/list-1.html", "laojin123": "/list/fanwen/1",
            "renrendoc": "/list/kejiju-1.html"}


def documents(db) -> dict:
    return {path_of(url): (text, truncated) for url, text, truncated in
            db.execute("SELECT url, text, truncated FROM documents")}


def path_of(url: str) -> str:
    return url[url.index("/", 8):]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    farm = SiteFarm()
    for name, path, text, _, _ in HINTED:
        site = farm.add(profile_site(name, n_docs=2, per_listing=2, first_id=2000))
        add_page(site, LISTINGS[name], path, text)
    farm.start()
    db_path = str(tmp_path_factory.mktemp("hints") / "corpus.db")
    run_crawl(db_path, {"sites": ",".join(farm.sites)}, {"SITE_BASE_URLS": farm.base_urls(), "EXTRACT_WORKERS": 2})
    farm.stop()
    return db_path, farm


def test_crawl_extracts_with_the_profiles_hints(crawled):
    db_path, farm = crawled
    db = store.open_db(db_path)
    got = {}
    for url, text, truncated in db.execute("SELECT url, text, truncated FROM documents"):
        got.setdefault(url[: url.index("/", 8)], {})[path_of(url)] = (text, truncated)
    for name, path, text, expected, truncated in HINTED:
        site = farm[name]
        assert set(got[site.base]) == set(site.docs), name  # the profile's other documents too
        assert got[site.base][path] == (expected, int(truncated)), name
        # without the hints the page gives another document: the hints made the difference
        assert text_of(extract_page(page(text, site.base + path))) != expected, name
    assert store.check_invariant(db) == []
    stats = json.loads(list(db["crawl_runs"].rows)[-1]["stats"])
    assert not [k for k in stats if k.startswith("docsites/family_mismatch")], stats


def test_rebuild_and_merge_give_what_the_crawl_gave(crawled, tmp_path):
    db_path, _ = crawled
    before = documents(store.open_db(db_path))
    assert {path for _, path, *_ in HINTED} <= set(before)
    for workers in ("1", "2"):  # in this process and in worker processes
        result = CliRunner().invoke(cli, ["rebuild", "--db", db_path, "--workers", workers])
        assert result.exit_code == 0, result.output
        assert documents(store.open_db(db_path)) == before
    target = str(tmp_path / "merged.db")
    result = CliRunner().invoke(cli, ["merge", "--db", target, db_path, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert documents(store.open_db(target)) == before
    assert store.check_invariant(store.open_db(target)) == []


def test_ingest_uses_the_hints_of_the_profile_owning_the_url(tmp_path):
    saved = tmp_path / "article.html"
    saved.write_text(STOP, encoding="utf-8")
    for url, expected in (("https://www.laojin123.com/article/9003", "\n".join(BODY)),
                          ("https://elsewhere.example.org/article/9003", None)):
        db_path = str(tmp_path / f"{url.split('/')[2]}.db")
        result = CliRunner().invoke(cli, ["ingest", str(saved), "--url", url, "--db", db_path])
        assert result.exit_code == 0, result.output
        text = store.open_db(db_path).execute("SELECT text FROM documents").fetchone()[0]
        if expected:
            assert text == expected
            # and a rebuild of the ingested page keeps the hints (no page_roles: found by the URL's host)
            assert CliRunner().invoke(cli, ["rebuild", "--db", db_path, "--workers", "1"]).exit_code == 0
            assert store.open_db(db_path).execute("SELECT text FROM documents").fetchone()[0] == expected
        else:
            assert TEASER in text


def test_a_stored_page_is_read_again_with_its_hints(tmp_path):
    """Re-homing a duplicate and `dedup --explain` re-extract one stored page: with the hints the
    page was stored with (here by the URL's host, as ingest gave them)."""
    from docsites.cli import CORPUS_EXTENSIONS
    from pipelines.ingest import reextract_part
    saved = tmp_path / "article.html"
    saved.write_text(STOP, encoding="utf-8")
    db_path = str(tmp_path / "c.db")
    url = "https://www.laojin123.com/article/9003"
    assert CliRunner().invoke(cli, ["ingest", str(saved), "--url", url, "--db", db_path]).exit_code == 0
    # a corpus opened as the CLI opens it: its page roles know the site profiles
    assert reextract_part(store.open_db(db_path, extensions=CORPUS_EXTENSIONS), url, 0).text == "\n".join(BODY)


def test_dedup_rebuild_reads_a_duplicate_again_with_its_hints(tmp_path):
    """`dedup --rebuild` re-extracts each duplicate's page: with the hints the crawl or ingest gave
    it, or the duplicate comes out as another text and stops being an exact copy."""
    saved = tmp_path / "article.html"
    saved.write_text(STOP, encoding="utf-8")
    db_path = str(tmp_path / "c.db")
    for url in ("https://www.laojin123.com/article/9003", "https://m.laojin123.com/article/9003"):
        assert CliRunner().invoke(cli, ["ingest", str(saved), "--url", url, "--db", db_path]).exit_code == 0
    db = store.open_db(db_path)
    assert db.execute("SELECT kind FROM duplicates").fetchall() == [("exact",)]
    result = CliRunner().invoke(cli, ["dedup", "--rebuild", "--db", db_path])
    assert result.exit_code == 0, result.output
    db = store.open_db(db_path)
    assert [r[0] for r in db.execute("SELECT text FROM documents")] == ["\n".join(BODY)]
    assert db.execute("SELECT url, kind FROM duplicates").fetchall() == [
        ("https://m.laojin123.com/article/9003", "exact")]
    assert store.check_invariant(db) == []


@pytest.fixture(scope="module")
def own_profiles(tmp_path_factory):
    """A crawl with SITE_PROFILES_DIR: a profile that is not among the shipped ones (a copy of
    laojin123 under another name), whose stop_at the fixture page needs."""
    folder = tmp_path_factory.mktemp("profiles")
    text = pathlib.Path("crawler/sites/laojin123.yaml").read_text(encoding="utf-8")
    (folder / "ownsite.yaml").write_text(text.replace("name: laojin123", "name: ownsite"), encoding="utf-8")
    farm = SiteFarm()
    site = farm.add(profile_site("laojin123", n_docs=2, per_listing=2, first_id=2000))
    add_page(site, LISTINGS["laojin123"], "/article/9003", stop_page(BODIES[2]))
    farm.start()
    db_path = str(tmp_path_factory.mktemp("own") / "corpus.db")
    run_crawl(db_path, {"sites": "ownsite"},
              {"SITE_PROFILES_DIR": str(folder), "SITE_BASE_URLS": {"ownsite": site.base}})
    farm.stop()
    return db_path, str(folder)


def test_rebuild_and_merge_read_the_profiles_named(own_profiles, tmp_path):
    db_path, folder = own_profiles
    before = documents(store.open_db(db_path))
    assert before["/article/9003"] == ("\n".join(BODIES[2]), 0)  # the crawl used the profile's stop_at
    result = CliRunner().invoke(cli, ["rebuild", "--db", db_path, "--workers", "1", "--profiles", folder])
    assert result.exit_code == 0, result.output
    assert documents(store.open_db(db_path)) == before
    target = str(tmp_path / "merged.db")
    result = CliRunner().invoke(cli, ["merge", "--db", target, db_path, "--workers", "1", "--profiles", folder])
    assert result.exit_code == 0, result.output
    assert documents(store.open_db(target)) == before
    # without the folder the profile is unknown: its pages lose their hints, and the rebuild says so
    result = CliRunner().invoke(cli, ["rebuild", "--db", db_path, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert documents(store.open_db(db_path))["/article/9003"] != before["/article/9003"]


def test_a_stored_page_is_read_again_with_the_profiles_named(own_profiles):
    """Re-homing a duplicate and `dedup --explain` read a crawled page with its profile from the
    folder the corpus was crawled with, not only from crawler/sites."""
    from crawler.pageroles import PageHints
    from crawler.profiles import load_profiles as load
    from pipelines.ingest import reextract_part
    db_path, folder = own_profiles
    db = store.open_db(db_path)
    url = next(u for u, in db.execute("SELECT url FROM documents") if u.endswith("/article/9003"))
    hints = PageHints(db, load(folder)).hints
    assert reextract_part(db, url, 0, hints).text == "\n".join(BODIES[2])

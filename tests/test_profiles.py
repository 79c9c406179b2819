"""Site profiles: the shipped YAML files load, say they are unverified, and classify the URL shapes
of their sites; a profile moves onto a loopback base URL with its rules intact."""
import glob
import os
import pathlib

import pytest

from crawler import profiles
from crawler.profiles import ProfileError, load_profiles, profile_from_dict, select
from pipelines.extract import SiteHints

# Document-page URL shapes observed on each site (docs: doc-sites.md), and pages that are not documents.
SHAPES = {
    "wnwk": (["https://www.wnwk.com/doc/1742762.html"], ["https://www.wnwk.com/download/1742762"]),
    "renrendoc": (["https://www.renrendoc.com/paper/123456.html", "https://www.renrendoc.com/p-98765.html"],
                  ["https://www.renrendoc.com/user/login"]),
    "jinchutou": (["https://www.jinchutou.com/p-112233.html"], ["https://www.jinchutou.com/down/112233"]),
    "31ppt": (["https://www.31ppt.com/d-445566.html"], ["https://www.31ppt.com/download/445566"]),
    "wenke99": (["https://m.wenke99.com/p-778899.html"], ["https://m.wenke99.com/login"]),
    "laojin123": (["https://www.laojin123.com/article/3003"], ["https://www.laojin123.com/user/1"]),
}


def test_every_shipped_profile_loads_and_is_marked_unverified():
    loaded = load_profiles()
    assert set(loaded) == set(SHAPES)
    for path in glob.glob(os.path.join(profiles.SITES_DIR, "*.yaml")):
        text = pathlib.Path(path).read_text(encoding="utf-8")
        assert "NOT yet verified against the live site" in text, path
        assert "verified: false" in text, path
    for p in loaded.values():
        assert p.chrome_family in profiles.CHROME_FAMILIES
        assert p.search_url and "{query}" in p.search_url
        assert all(p.classify(u) == "listing" for u in p.start_urls), p.name


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_profile_classifies_its_url_shapes(name):
    p = load_profiles()[name]
    documents, others = SHAPES[name]
    assert all(p.classify(u) == "document" for u in documents)
    assert all(p.classify(u) is None for u in others)
    assert p.classify("https://elsewhere.example.com" + documents[0].split(".com", 1)[1]) is None
    assert p.classify(p.search_urls("科技局 工作总结")[0]) == "listing"


def test_rebase_moves_a_profile_onto_a_loopback_host():
    p = load_profiles(base_urls={"wnwk": "http://127.0.0.1:8123"})["wnwk"]
    assert p.start_urls == ["http://127.0.0.1:8123/"]
    assert p.search_urls("工作 总结") == ["http://127.0.0.1:8123/search/?q=%E5%B7%A5%E4%BD%9C+%E6%80%BB%E7%BB%93"]
    assert p.classify("http://127.0.0.1:8123/doc/5.html") == "document"
    assert p.classify("http://127.0.0.1:9999/doc/5.html") is None  # another port is another site
    assert p.classify("https://www.wnwk.com/doc/5.html") is None
    assert p.hosts == ["127.0.0.1"]


def test_select():
    loaded = load_profiles()
    assert len(select(loaded, "")) == len(loaded) == len(select(loaded, "all"))
    assert [p.name for p in select(loaded, "wnwk, laojin123")] == ["wnwk", "laojin123"]
    with pytest.raises(ProfileError, match="unknown site profile 'nope'"):
        select(loaded, "wnwk,nope")
    with pytest.raises(ProfileError, match="unknown profile"):
        load_profiles(base_urls={"nope": "http://127.0.0.1:1"})


GOOD = {"name": "x", "allowed_domains": ["x.cn"], "start_urls": ["https://x.cn/"], "chrome_family": "article",
        "links": {"documents": [r"^/a/\d+$"], "follow": ["^/$"]}}


@pytest.mark.parametrize("change, message", [
    ({"chrome_family": "fancy"}, "chrome_family 'fancy' is not one of"),
    ({"links": {"follow": ["^/$"]}}, "links.documents"),
    ({"links": {"documents": ["(unclosed"]}}, "bad regular expression"),
    ({"search_url": "https://x.cn/s?q="}, "must contain {query}"),
    ({"politeness": {"speed": 9}}, "unknown politeness keys"),
    ({"start_urls": []}, "missing `start_urls`"),
    ({"extraction": {"stop_after": ["x"]}}, "unknown extraction hints"),
    ({"extraction": {"stop_at": [1, 2]}}, "extraction.stop_at must list phrases"),
    ({"extraction": {"body_container": "//div[@class="}}, "extraction.body_container: not an XPath"),
    ({"extraction": {"numbered_pages": "yes"}}, "numbered_pages must be true or false"),
    ({"extraction": ["stop_at"]}, "`extraction` is a mapping"),
])
def test_bad_profiles_are_refused_with_the_field_named(change, message):
    assert profile_from_dict(GOOD).classify("https://x.cn/a/1") == "document"
    with pytest.raises(ProfileError, match=message):
        profile_from_dict({**GOOD, **change}, "x.yaml")


def test_extraction_hints_of_a_profile():
    p = profile_from_dict({**GOOD, "extraction": {"stop_at": "上一篇", "body_after": ["正文"], "numbered_pages": False,
                                                 "body_container": "//div[@id='main']"}})
    assert p.hints == SiteHints(family="article", body_container="//div[@id='main']", stop_at=("上一篇",),
                                body_after=("正文",), numbered_pages=False)
    # a profile moved onto a loopback host keeps its hints
    assert p.rebase("http://127.0.0.1:8123").hints == p.hints
    assert profile_from_dict(GOOD).hints == SiteHints(family="article")


def test_profiles_folder_setting(tmp_path):
    (tmp_path / "x.yaml").write_text("name: x\nallowed_domains: [x.cn]\nstart_urls: ['https://x.cn/']\n"
                                     "chrome_family: article\nlinks: {documents: ['^/a/']}\n", encoding="utf-8")
    assert list(load_profiles(str(tmp_path))) == ["x"]
    (tmp_path / "y.yaml").write_text("name: x\n", encoding="utf-8")
    with pytest.raises(ProfileError):
        load_profiles(str(tmp_path))

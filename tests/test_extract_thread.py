"""Threads (pipelines/thread.py): which pages are threads, and that a thread keeps every post and
its title while an article keeps its body and not its comments. Invented pages in
tests/fixtures/extract/ (thread-*.html, article-comments.html) and inline."""
import os

import pytest

from pipelines import html, thread
from pipelines.extract import extract_page
from pipelines.rules import load
from tests.test_extract import EXTRACT, load as load_fixture


def is_thread(markup: str) -> bool:
    root = html.parse(markup)
    return thread.is_thread(root, html.flatten(root.find("body")).split("\n"), load())


def fixture_is_thread(name: str) -> bool:
    with open(os.path.join(EXTRACT, name), encoding="utf-8") as f:
        return is_thread(f.read())


@pytest.mark.parametrize("name, expected", [
    ("thread-floors.html", True),     # floor labels, 查看/回复 counters, 只看该作者
    ("thread-replies.html", True),    # no markers: look-alike posts with times hold the text
    ("forum.html", False),            # posts without times or markers: the body finder keeps them anyway
    ("article-comments.html", False), # three comments under a long article
    ("article-teasers.html", False),
    ("thread-answers.html", True),    # a Q&A page: `3 个回答`
    ("article-related.html", False),  # a picture-news list with dates beside the article
])
def test_thread_detection(name, expected):
    assert fixture_is_thread(name) is expected


def test_related_list_with_dates_is_not_a_thread():
    item = "<li class='r'><a href='/n/{0}'>第{0}条相关新闻的标题比较长</a><span>2025-01-0{0}</span></li>"
    page = ("<html><body><div><p>" + "正文内容，讲述一件事情的经过。" * 3 + "</p></div><ul>"
            + "".join(item.format(i) for i in range(1, 8)) + "</ul></body></html>")
    assert not is_thread(page)


def test_thread_keeps_short_replies_and_title():
    page, gold = load_fixture(os.path.join(EXTRACT, "thread-replies.html"))
    text = extract_page(page).documents[0].text
    lines = text.split("\n")
    assert lines[0] == "导出的表格打开是乱码"  # the topic title on top
    assert "学到了" in lines and "多半是编码问题" in lines  # short replies are posts too
    assert "相关问题" not in text and "3天前" not in text


def test_floor_thread_drops_post_chrome():
    page, _ = load_fixture(os.path.join(EXTRACT, "thread-floors.html"))
    text = extract_page(page).documents[0].text
    for chrome in ("发表于", "只看该作者", "沙发", "查看: 2310", "积分 88", "›", "版权所有"):
        assert chrome not in text
    assert text.startswith("单位食堂外包后饭菜变差了怎么办\n") and "\n顶\n" in text


def test_article_with_comments_keeps_no_comment_and_no_title_line():
    page, gold = load_fixture(os.path.join(EXTRACT, "article-comments.html"))
    text = extract_page(page).documents[0].text
    assert text == gold[0]["text"]


def test_with_title_does_not_repeat_a_title_already_there():
    assert thread.with_title(["标题", "内容"], "标题") == ["标题", "内容"]
    assert thread.with_title(["内容"], "标题") == ["标题", "内容"]
    assert thread.with_title([], "标题") == []


def test_replies_quoting_links_are_posts_not_teasers():
    reply = ("<div class='reply'><a href='/u/{0}'>用户{0}</a> <span>{0} 小时前</span>"
             "<p>可以参考这个：<a href='https://example.org/doc/{0}'>https://example.org/doc/{0}</a></p></div>")
    page = ("<html><body><h1>有没有好用的编码转换工具</h1><div class='topic'><p>求推荐，文件太多手动转太慢了。</p></div>"
            "<div class='replies'>" + "".join(reply.format(i) for i in range(1, 6)) + "</div></body></html>")
    assert is_thread(page)
    root = html.parse(page)
    html.density_bodies(root, thread=True)
    assert root.find(".//div[@class='replies']").get("data-chrome") != "1"

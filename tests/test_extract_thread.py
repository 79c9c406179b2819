"""Threads (pipelines/extract/thread.py): which pages are threads, and that a thread keeps every post and
its title while an article keeps its body and not its comments. Invented pages in
tests/fixtures/extract/ (thread-*.html, article-comments.html) and inline."""
import os

import pytest

from pipelines.extract import extract_page, html, thread
from pipelines.extract.rules import load
from pipelines.model import Page
from tests.test_extract import EXTRACT, first_document
from tests.test_extract import load as load_fixture


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
    ("article-heavy-comments.html", False),  # comments outweigh the article, in a comment area under it
    ("blog-excerpts.html", False),    # dated excerpts of other posts beside the post
])
def test_thread_detection(name, expected):
    assert fixture_is_thread(name) is expected


def test_related_list_with_dates_is_not_a_thread():
    item = "<li class='r'><a href='/n/{0}'>第{0}条相关新闻的标题比较长</a><span>2025-01-0{0}</span></li>"
    page = ("<html><body><div><p>" + "正文内容，讲述一件事情的经过。" * 3 + "</p></div><ul>"
            + "".join(item.format(i) for i in range(1, 8)) + "</ul></body></html>")
    assert not is_thread(page)


def test_thread_keeps_short_replies_and_title():
    text = first_document("thread-replies.html")[0].text
    lines = text.split("\n")
    assert lines[0] == "导出的表格打开是乱码"  # the topic title on top
    assert "学到了" in lines and "多半是编码问题" in lines  # short replies are posts too
    assert "相关问题" not in text and "3天前" not in text


def test_floor_thread_drops_post_chrome():
    text = first_document("thread-floors.html")[0].text
    for chrome in ("发表于", "只看该作者", "沙发", "查看: 2310", "积分 88", "›", "版权所有"):
        assert chrome not in text
    assert text.startswith("单位食堂外包后饭菜变差了怎么办\n") and "\n顶\n" in text


def test_article_with_comments_keeps_no_comment_and_no_title_line():
    doc, gold = first_document("article-comments.html")
    assert doc.text == gold[0]["text"]


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


def test_article_whose_comments_outweigh_it_keeps_the_article_alone():
    doc, gold = first_document("article-heavy-comments.html")
    assert doc.text == gold[0]["text"]  # before: the comments, as a thread


def test_blog_post_beside_excerpts_of_other_posts_is_the_post_alone():
    page, gold = load_fixture("blog-excerpts.html")
    doc = extract_page(page).documents[0]
    assert doc.text == gold[0]["text"] and doc.title == "阳台上的第一茬草莓"
    root = html.parse(page.body.decode())
    items = root.xpath("//div[@class='post-excerpt']")
    assert items and all(html.is_excerpt(x) for x in items)  # short titles: read-more to the same page
    assert not html.is_excerpt(root.xpath("//div[@class='post']")[0])


def test_social_post_with_many_comments_is_a_thread():
    # no headline and one line of post above a comment area: a post with its replies, all kept
    cmt = ("<div class='comment-item'><a href='/u/{0}'>网友{0}</a><span>{0}小时前</span>"
           "<p>我也遇到过同样的情况，后来换了一家店才解决，第{0}次来说一下。</p></div>")
    page = ("<html><body><div class='feed'><a href='/u/0'>博主</a><p>今天的快递又晚了三天，大家有没有遇到？</p></div>"
            "<div class='comment-list'>" + "".join(cmt.format(i) for i in range(1, 6)) + "</div></body></html>")
    assert is_thread(page)


def test_posts_headed_by_their_authors_are_posts_not_excerpts():
    post = ("<article class='Post'><h3><a href='/u/user{0}'>user{0}</a></h3><span>2024-03-0{0} 10:00</span>"
            "<div class='Post-body'><p>这个问题我也碰到过，重装驱动以后就好了，可以试试看。</p></div></article>")
    page = ("<html><body><h1>显卡驱动装不上怎么办</h1><div class='PostStream'>"
            + "".join(post.format(i) for i in range(1, 6)) + "</div></body></html>")
    root = html.parse(page)
    assert not any(html.is_excerpt(x) for x in root.iter("article"))
    assert is_thread(page)


def test_replies_in_a_posts_own_footer_are_kept_in_a_thread():
    reply = "<div class='reply-item'><a href='/u/r{0}'>回复者{0}</a>: <span>第{0}条回复，我同意楼上的看法，补充一点细节。</span></div>"
    post = ("<div class='comment-item'><div class='post__header'><a href='/u/{0}'>用户{0}</a> <span>{0}小时前</span></div>"
            "<div class='post__body'>第{0}条评论的正文，讲了自己的看法和理由，比较长。</div>"
            "<div class='post__footer'>" + "".join(reply.format(f"{{0}}-{k}") for k in range(2)) + "</div></div>")
    page = ("<html><body><div class='feed'><p>今天发现一个好用的工具，分享给大家。</p></div><div class='list'>"
            + "".join(post.format(i) for i in range(1, 5)) + "</div><div class='page__footer'>© 样例社区</div></body></html>")
    assert is_thread(page)
    text = extract_page(Page(url="http://bbs.example/t/1", body=page.encode())).documents[0].text
    assert "第3-1条回复" in text and "第4条评论的正文" in text and "样例社区" not in text


def test_a_long_user_name_is_not_a_headline():
    reply = "<div class='c'><a href='/users/{0}'>my3877857{0}</a> <span>1周前</span><p>试过不行呢，还是报错。</p></div>"
    root = html.parse("<html><body>" + "".join(reply.format(i) for i in range(3)) + "</body></html>")
    assert not any(html.has_headline(x) for x in root.iter("div"))
    assert html.has_headline(html.parse("<p><a href='/n/1'>城区新增三条公交线路</a></p>"))

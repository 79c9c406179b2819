"""extract_page on our own fixture pages, one per page family (tests/fixtures/extract/), with gold."""
import glob
import json
import os
import pickle

import pytest

from pipelines.extract import extract_page
from pipelines.extract.score import chrome_left, f1
from pipelines.model import Page
from tests.conftest import FIXTURES

EXTRACT = os.path.join(FIXTURES, "extract")
PAGES = sorted(p for p in glob.glob(os.path.join(EXTRACT, "*")) if not p.endswith(".gold.json"))


def load(path):
    """A fixture page (a path, or a file name in tests/fixtures/extract/) and its gold."""
    path = os.path.join(EXTRACT, path)  # a path stays as it is
    kind = "text" if path.endswith(".txt") else "html"
    with open(path, "rb") as f:
        page = Page(url="http://sample.example/" + os.path.basename(path), body=f.read(), kind=kind)
    with open(path.rsplit(".", 1)[0] + ".gold.json", encoding="utf-8") as f:
        return page, json.load(f)


def first_document(name):
    """The first document extract_page finds in the fixture `name`, and the fixture's gold."""
    page, gold = load(name)
    return extract_page(page).documents[0], gold


def precise_body(markup: str) -> str:
    """The density finder's precise answer for a page."""
    from pipelines.extract import html
    return html.density_bodies(html.parse(markup))[1]


def test_every_family_has_a_fixture():
    from pipelines.extract.rules import load as load_rules
    families = {f.id for f in load_rules().families}
    assert families == {"kv-header", "member-share", "uploader-coins", "read-wall", "seller-list", "article"}
    found = {extract_page(load(p)[0]).family for p in PAGES}
    assert families <= found


@pytest.mark.parametrize("path", PAGES, ids=[os.path.basename(p) for p in PAGES])
def test_fixture_matches_gold(path):
    page, gold = load(path)
    docs = extract_page(page).documents
    assert len(docs) == len(gold), [d.text[:60] for d in docs]
    for doc, g in zip(docs, gold, strict=True):
        assert doc.part == g["part"]
        assert f1(doc.text, g["text"]) >= g.get("min_f1", 0.95), doc.text  # forum: user names stay
        assert chrome_left(doc.text, g["text"]) == []
        if "title" in g:
            assert doc.title == g["title"]
        assert doc.truncated == g["truncated"]
        for key, value in g["meta"].items():
            assert doc.meta.get(key) == value, key
        if "traditional" in g:
            assert doc.traditional == g["traditional"]
        assert doc.lang == "zh"


def test_promo_sentence_cut_but_its_paragraph_kept():
    text = first_document("article-teasers.html")[0].text
    assert "海量公文素材" not in text and "维护妇女儿童合法权益" in text
    assert "最美家庭" in text and "二是..." not in text  # teasers after the body are gone


def test_appendix_becomes_part_one_with_its_title():
    page, _ = load("member-share.txt")
    docs = extract_page(page).documents
    assert [d.part for d in docs] == [0, 1]
    assert "以下内容供阅读" not in docs[0].text and "社区卫生服务中心" not in docs[0].text
    assert docs[1].title == "社区卫生服务中心2022年度工作计划"
    assert "冷链运转正常" in docs[0].text  # the word a page break cut is joined
    assert "2、" not in docs[0].text


def test_quality_signals():
    q = first_document("kv-header.html")[0].quality
    assert q["masked"] == 3 and q["chars"] > 300 and 0.7 < q["han_ratio"] <= 1
    assert q["rewrite_score"] == 0


def test_rewritten_text_is_flagged():
    body = ("市科技局工作总结\n" + "我局加大科技效劳力度,制定实施细那么,夯实开展根底,屡次组织企业对接,推动科技开展。" * 5).encode()
    doc = extract_page(Page(url="rewritten.txt", body=body, kind="text")).documents[0]
    assert doc.quality["rewrite_score"] > 10


def test_japanese_page_is_not_converted():
    body = "<html><body><p>" + "東京都の会議は毎年開催されています。参加者は多く、議論は活発でした。" * 4 + "</p></body></html>"
    doc = extract_page(Page(url="http://jp.example/a", body=body.encode())).documents[0]
    assert doc.lang == "ja" and "東京都" in doc.text and not doc.traditional


def test_listing_and_tiny_pages_give_no_document():
    page, _ = load("listing.html")
    assert extract_page(page).documents == []
    tiny = Page(url="http://x.example/t", body="<html><body><p>你好</p></body></html>".encode())
    assert extract_page(tiny).documents == []


def test_html_without_body_is_a_problem_not_a_crash():
    result = extract_page(Page(url="x.html", body=b"<html><head><title>t</title></head></html>"))
    assert result.documents == [] and result.problem.reason == "not_a_document" and "<body>" in result.problem.detail


def test_extract_page_is_picklable_and_pure():
    page, _ = load("kv-header.html")
    a, b = extract_page(page), extract_page(pickle.loads(pickle.dumps(page)))
    assert [d.to_json() for d in a.documents] == [d.to_json() for d in b.documents]
    assert a.encoding == "gb18030"


def test_teaser_list_beside_a_short_article_is_not_the_body():
    # the related-news list holds more text than the article; each item is led by a headline link
    article = "<div class='txt'><p>" + "市里今天召开会议，部署防汛工作，要求各区做好准备。" * 2 + "</p></div>"
    item = ("<li class='it'><a href='/n/{0}.htm'>第{0}条相关新闻的标题在这里</a>"
            "<p>这是一条相关新闻的摘要，介绍了另外一件事情的经过和结果...</p><em>2024-05-2{0}</em></li>")
    related = "<ul class='cj'>" + "".join(item.format(i) for i in range(8)) + "</ul>"
    html = f"<html><body><h1>防汛会议</h1>{article}{related}</body></html>"
    doc = extract_page(Page(url="http://news.example/a/1.htm", body=html.encode())).documents[0]
    assert "部署防汛工作" in doc.text and "相关新闻" not in doc.text


def test_answer_inside_chrome_elements_is_not_trusted():
    from pipelines.extract import html
    short = "<div class='main'><p>" + "气象台发布暴雨预警，请市民注意出行安全。" * 2 + "</p></div>"
    other = ("<div class='detail-recommend'><h2>另一篇推荐文章的标题</h2>"
             + "<p>这是另一篇文章的正文，讲述一位歌手的故事，内容很长，有很多句子，也有很多标点符号。</p>" * 6 + "</div>")
    page = f"<html><body>{short}{other}</body></html>"
    root = html.parse(page)
    html.density_bodies(root)  # marks chrome as a side effect, as in generic_body
    chrome = html._chrome_lines(root)
    assert html._chrome_share(html.flatten(root.find("body").find("div[@class='detail-recommend']")), chrome) == 1.0
    assert html._chrome_share("气象台发布暴雨预警，请市民注意出行安全。", chrome) == 0.0
    text = extract_page(Page(url="http://news.example/w/1.html", body=page.encode())).documents[0].text
    assert "暴雨预警" in text and "歌手" not in text


def test_cards_between_paragraphs_are_text_but_a_lone_card_and_a_card_list_are_not():
    # each book the text is about has a card (a link wrapping its name and facts) after its paragraph:
    # more link text than prose, yet part of the text; the next-note card and the list of other
    # notes after it are links to other pages
    page, _ = load(os.path.join(EXTRACT, "article-cards.html"))
    text = extract_page(page).documents[0].text
    assert "河边的小镇" in text and "丛书 样例新诗典藏" in text and "欢迎留言告诉我" in text
    assert "推荐五部" not in text and "旧书店里淘到" not in text


def test_a_link_labelled_as_an_ad_is_cut_but_a_link_about_ads_stays():
    from pipelines.extract import html
    root = html.parse("<html><body><p>正文第一句。<br><a href='https://ads.example/1'><i>广告</i><span>五折起</span></a><br>"
                      "正文第二句。<a href='/n/2'>关于广告法的新规定</a>。<a href='/n/3'><b>推广</b>普通话的意义</a></p></body></html>")
    html._strip_chrome(root.find("body"))
    text = html.flatten(root.find("body"))
    assert "五折起" not in text and "正文第一句。" in text and "正文第二句。" in text
    assert "关于广告法的新规定" in text and "推广普通话的意义" in text  # a label is an element of its own, alone


def test_numbers_times_and_ratios_are_not_prose_punctuation():
    # a dateline (发布于 … 13:08:03) must not outscore a short unpunctuated document
    from pipelines.extract import html
    assert html.punct_count("发布于 2024-03-12 13:08:03 价格 2,000.50 比例 1:1") == 0
    assert html.punct_count("1.余额按照1:1的比例抵扣，见下文。a, b: c.") == 6  # . ， 。 , : .


def test_precise_body_keeps_a_lead_caption_but_not_a_dateline():
    head = "<div class='hd'><h2>农机忙春播</h2><span>2025-05-13 09:20 来源：样例网</span></div>"
    caption = "<div class='pic'><p>5月13日，在一家庭农场，无人驾驶农机在播种玉米。</p></div>"
    text = "<div class='txt'>" + "<p>眼下，植保无人机等在田间地头忙碌，助力农业生产，农户们说这样省时省力。</p>" * 6 + "</div>"
    page = f"<html><body><div class='main'>{head}{caption}{text}</div></body></html>"
    precise = precise_body(page)
    assert precise.startswith("5月13日，在一家庭农场") and "植保无人机" in precise
    assert "来源" not in precise and "农机忙春播" not in precise


def test_recall_answer_outweighs_a_precise_fragment():
    from pipelines.extract import html
    notice = "讨论应以学习为目的，请勿发布不友善的内容。"
    code = "\n".join(["安装依赖", "npm i -g depcheck", "检查依赖", "depcheck", "找到缺失的依赖并安装", "npm i aaa.js bbb.js"])
    assert html._outweighs(code + "\n" + notice, notice)  # the article is what the notice sits under
    article = "记者从市交通局获悉，城区将新增三条公交线路，方便市民出行。" * 3
    tags = "标签：公交 出行\n分享到：微信 微博\n2025-04-01 08:30"
    assert not html._outweighs(tags + "\n" + article, article)  # only chrome lines around it


def test_title_skips_a_logo_h1():
    body = ("<html><head><title>城区新增三条公交线路_样例新闻网</title></head><body>"
            "<h1 class='logo'><a href='/'><img src='/logo.png' alt='样例新闻网'>新闻中心</a></h1>"
            "<h1>城区新增三条公交线路</h1><div class='content'><p>"
            + "记者从市交通运输局获悉，城区将新增三条公交线路，方便市民出行。" * 3 + "</p></div></body></html>")
    doc = extract_page(Page(url="http://news.example/b/2.html", body=body.encode())).documents[0]
    assert doc.title == "城区新增三条公交线路"


def test_folded_rest_of_a_mobile_page_is_joined_but_hidden_chrome_is_not():
    text = first_document("article-folded.html")[0].text
    assert text.endswith("居民分类投放准确率明显提升。")  # the display:none rest after 展开全文
    for chrome in ("登录后可以收藏", "分享到微信朋友圈", "下载样例APP", "展开全文"):  # hidden modal, hidden menu, the ad
        assert chrome not in text


def test_hidden_copy_and_hidden_block_beside_the_layout_are_not_joined():
    para = "<p>市气象台今天发布暴雨蓝色预警，提醒市民注意出行安全，尽量减少外出。</p>"
    copy = f"<div class='full' style='display:none'>{para}</div>"  # the same text again, for another view
    template = "<div style='display:none'><p>您的评论将在审核后显示，请文明发言，遵守相关法律法规。</p></div>"
    page = f"<html><body><div class='main'><h1>暴雨预警</h1><div class='txt'>{para * 2}{copy}</div></div>{template}</body></html>"
    text = extract_page(Page(url="http://news.example/r/1.html", body=page.encode())).documents[0].text
    assert text.count("暴雨蓝色预警") == 2 and "审核后显示" not in text


def test_title_is_the_heading_the_page_title_starts_with():
    body = ("<html><head><title>维护共同利益需联手抵制保护主义_评论_样例新闻网</title></head><body>"
            "<h1>全部导航</h1><div class='crumb'>首页 > 评论</div><h2>维护共同利益需联手抵制保护主义</h2>"
            "<div class='content'><p>" + "保护主义损害各国共同利益，开放合作才是正确选择。" * 3 + "</p></div></body></html>")
    doc = extract_page(Page(url="http://news.example/c/3.html", body=body.encode())).documents[0]
    assert doc.title == "维护共同利益需联手抵制保护主义"
    assert "维护共同利益需联手抵制保护主义" not in doc.text  # the heading is the title, not body text


def test_precise_body_keeps_a_poem_above_its_notes():
    poem = "<div class='verse'>春眠不觉晓，<br>处处闻啼鸟。<br>夜来风雨声，<br>花落知多少。</div>"
    notes = ("<div class='notes'><div class='label'>注释：</div><div class='note-text'>"
             + "这首诗写春天早晨醒来时的所见所闻，语言平易，意境深远，表达了诗人对春天的喜爱和惜春之情。" * 2
             + "</div></div>")
    page = f"<html><body><div class='main'><h3>春晓</h3><div class='poem'>{poem}{notes}</div></div></body></html>"
    precise = precise_body(page)
    assert precise.startswith("春眠不觉晓，") and "惜春之情" in precise and "春晓" not in precise


def test_precise_body_keeps_a_summary_above_a_table_of_contents():
    summary = "<div class='summary'><p>" + "样例高新区是省级高新技术产业开发区，规划面积九百多公顷。[1]" * 2 + "</p></div>"
    infobox = "<div class='info'><dl><dt>中文名</dt><dd>样例高新区</dd><dt>面积</dt><dd>952公顷</dd></dl></div>"
    toc = "<div class='toc'><a href='#1'>1 历史沿革</a> <a href='#2'>2 区域规划</a></div>"
    body = "<div class='sections'>" + "<p>2024年，高新区正式揭牌启动，管委会组织机构正式运行，各项工作有序推进。</p>" * 6 + "</div>"
    page = f"<html><body><div class='lemma'>{summary}{infobox}{toc}{body}</div></body></html>"
    precise = precise_body(page)
    assert precise.startswith("样例高新区是省级") and "正式揭牌启动" in precise
    assert "中文名" not in precise and "历史沿革" not in precise

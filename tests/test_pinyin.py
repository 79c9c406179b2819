"""pipelines/extract/pinyin.py: site-added pinyin goes; a document's own readings and Latin in brackets stay."""
from pipelines.extract import pinyin

SITE = ("導(dǎo)語(yǔ):本文來(lái)源于網(wǎng)友上傳,不代表本站觀(guān)點(diǎn)。"
        "已閱讀5頁(yè),還剩8頁(yè)未讀。會(huì)議(yì)決定加強(qiáng)管理。")


def test_site_pinyin_after_converted_characters_is_removed():
    assert pinyin.strip(SITE) == "導語:本文來源于網友上傳,不代表本站觀點。已閱讀5頁,還剩8頁未讀。會議決定加強管理。"


def test_full_width_brackets_too():
    text = "網（wǎng）友說（shuō）這個（gè）問（wèn）題"
    assert pinyin.strip(text) == "網友說這個問題"


def test_lesson_on_pinyin_in_simplified_script_is_kept():
    # a lesson annotates characters t2s leaves alone, however many
    lesson = "妈(mā)麻(má)马(mǎ)骂(mà)是四个声调。爸(bà)和妈(mā)都读轻声。"
    assert pinyin.strip(lesson) == lesson


def test_a_few_readings_quoted_in_a_document_are_kept():
    text = "“長(zhǎng)”是多音字,另一个读音是“長(cháng)”。"
    assert pinyin.strip(text) == text


def test_latin_and_abbreviations_in_brackets_are_kept():
    text = "對象(object)和屬性(attribute)、政府對企業(G2B)、" + "發(fā)展" * 5
    assert pinyin.strip(text) == "對象(object)和屬性(attribute)、政府對企業(G2B)、" + "發展" * 5


def test_pinyin_after_latin_or_digits_is_not_an_annotation():
    text = "ma(mā) 5(wǔ) " + "業(yè)" * 4
    assert pinyin.strip(text) == "ma(mā) 5(wǔ) " + "業" * 4


def test_an_html_page_is_stripped_in_its_lines_body_and_title():
    page = ["導(dǎo)航", "網(wǎng)友說(shuō)這個(gè)問(wèn)題"]
    body = ["網(wǎng)友說(shuō)這個(gè)問(wèn)題"]
    assert pinyin.strip_page(page, body, "標(biāo)題") == (["導航", "網友說這個問題"], ["網友說這個問題"], "標題")
    lesson = ["妈(mā)麻(má)马(mǎ)骂(mà)"]
    assert pinyin.strip_page(lesson, lesson, None) == (lesson, lesson, None)


def test_html_page_with_site_pinyin_extracts_clean_and_truncated():
    from pipelines.extract import extract_page
    from pipelines.model import Page
    para = "".join(f"<p>{x}</p>" for x in ["本文來(lái)源于網(wǎng)友上傳,不代表本站觀(guān)點(diǎn)。",
                                          "今年以來(lái),我們(men)認(rèn)真落實(shí)各項(xiàng)工作部署,推進(jìn)經(jīng)濟(jì)社會(huì)發(fā)展,"
                                          "取得了明顯成效,現(xiàn)將有關(guān)情況報(bào)告如下。" * 3,
                                          "已閱(yuè)讀(dú)3頁(yè),還(hái)剩5頁(yè)未讀(dú)"])
    html = f"<html><head><title>工作總結(jié)</title></head><body><div class='content'>{para}</div></body></html>"
    doc = extract_page(Page(url="http://sample.example/a.html", body=html.encode())).documents[0]
    from pipelines.extract.score import PINYIN
    assert not PINYIN.search(doc.text) and "来源于网友上传" not in doc.text and doc.truncated
    # an untoned syllable is not told from Latin in brackets: it stays
    assert doc.text.startswith("今年以来,我们(men)认真落实") and doc.traditional


def test_pinyin_printed_with_script_g_and_full_width_brackets_goes():
    from pipelines.extract import pinyin
    text = "黨(dǎnɡ)員(yuán)學（xué）習（xí）心得,我對（duì）黨的理論有了認（rèn）識（shí）。"
    assert pinyin.strip(text) == "黨員學習心得,我對黨的理論有了認識。"

"""pipelines/pinyin.py: site-added pinyin goes; a document's own readings and Latin in brackets stay."""
from pipelines import pinyin

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

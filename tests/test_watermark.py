"""pipelines/extract/watermark.py: watermarks and anti-copy marks go; quotes, mojibake and URLs in text stay."""
from pipelines.extract import watermark

BODY = "各位代表:现在,我代表镇人民政府,向大会报告政府工作,请予审议。"


def test_mangled_site_name_at_the_start_goes():
    line = "三文}章%资料[库:https://www.example-wenku.cn/。公众@号:写作小站。整理汇总。" + BODY
    assert watermark.clean([line]) == [BODY]


def test_a_news_lead_with_percent_signs_and_a_hashtag_stays():
    lead = "#央行发布数据# 据统计,5月末广义货币余额同比增长7%至8%,比上月末低0.2个百分点。"
    assert watermark.clean([lead, BODY]) == [lead, BODY]


def test_a_body_quoting_a_website_stays():
    line = "群众可登录www.gov.example.cn查询办理进度,也可拨打热线电话咨询,工作人员将及时答复。"
    assert watermark.clean([line]) == [line]


def test_slogan_and_rights_mark_are_cut_out_of_the_line():
    lines = ["精选优质文档-倾情为你奉上" + BODY, "一、工作回顾。公文之家版权所有今年以来,我们扎实工作。"]
    assert watermark.clean(lines) == [BODY, "一、工作回顾。今年以来,我们扎实工作。"]


def test_anti_copy_marks_go():
    lines = ["未执行服务礼仪、用语的',发现一次扣款。", "专门清扫树丛中的`烟头等垃圾。", "感受了今天的和平与幸福。?"]
    assert watermark.clean(lines) == ["未执行服务礼仪、用语的,发现一次扣款。", "专门清扫树丛中的烟头等垃圾。",
                                      "感受了今天的和平与幸福。"]


def test_paired_quotes_and_question_marks_in_text_stay():
    lines = ["提出'三重六敢'的要求。", "便问:`心见铁即死,如何针得?'婆子道:`不用针心。'", "这是我写的代码？？？",
             "【摘? ? 要】本文分析了问题。", "三抓三?!钡目傋ナ?;党建工作"]
    assert watermark.clean(lines) == lines


def test_editing_note_and_per_page_rights_note_are_cut_out():
    lines = ["社区工作计划(此文档为word格式,下载后可随意编辑修改!)", "一、工作目标。收集于网络,如有侵权请联系管理员删除加强服务。"]
    assert watermark.clean(lines) == ["社区工作计划", "一、工作目标。加强服务。"]


def test_a_slogan_line_of_slogan_words_goes_but_a_heading_stays():
    assert watermark.clean(["精品资料·用心整理", BODY]) == [BODY]
    assert watermark.clean(["优质文档 倾情奉上", BODY]) == [BODY]
    assert watermark.clean(["二、资料整理", BODY]) == ["二、资料整理", BODY]


def test_a_site_url_spelt_out_with_spaces_goes_anywhere():
    assert watermark.clean([BODY, "学.习.啦.w w w . x u e x i 1 2 3 . c o m", BODY]) == [BODY, BODY]


def test_a_source_line_with_url_and_promo_words_goes_at_the_end_only():
    src = "文档来源:某某范文网 www.sample-fanwen.cn 欢迎收藏"
    assert watermark.clean([BODY, BODY, BODY, BODY, src]) == [BODY] * 4
    contact = "单位网站:www.example.gov.cn"
    assert watermark.clean([BODY, contact, BODY, BODY, BODY, BODY]) == [BODY, contact] + [BODY] * 4


def test_a_bracketed_source_note_is_cut_out_of_its_paragraph():
    line = "一、认真备课。我坚持每课必备,深入钻研教材。【本文来自某某范文网,转载请保留出处】"
    assert watermark.clean([line]) == ["一、认真备课。我坚持每课必备,深入钻研教材。"]
    cited = "全年粮食产量增长2.1%(数据来源:国家统计局)。"
    assert watermark.clean([cited]) == [cited]

"""pipelines/extract/intros.py: a 范文 site's editor lead-in and outro go; a document's own lead stays."""
from pipelines.extract import intros

DOC = "一、基本情况。今年以来,我镇扎实推进各项工作,取得了明显成效。"


def test_editor_lead_in_paragraph_goes():
    lead = "工作计划是对未来工作的安排和打算。怎么写好一份计划呢?下面是小编帮大家整理的乡镇工作计划,仅供参考,希望对大家有所帮助。"
    assert intros.drop([lead, DOC]) == [DOC]


def test_plain_intro_without_editor_word_goes():
    assert intros.drop(["以下是为大家精心准备的述职报告范文,供大家参考借鉴。", DOC]) == [DOC]


def test_outro_goes():
    assert intros.drop([DOC, "以上就是本站为您整理的内容,欢迎阅读收藏。"]) == [DOC]


def test_editor_sentence_before_the_document_in_one_paragraph_is_cut_alone():
    line = "小编为大家整理了这篇心得,供大家参考。" + DOC
    assert intros.drop([line]) == [DOC]


def test_a_documents_own_lead_stays():
    lines = ["下面是我在延安培训学院七天的学习心得体会。", "我们分享了经验,希望对兄弟单位有所帮助。", DOC]
    assert intros.drop(lines) == lines


def test_site_named_in_the_lead_and_a_plain_outro_go():
    lead = "以下是样例毕业生网为大家整理的社区工作计划,希望对大家有所帮助。"
    outro = "以上就是为大家整理的全部内容,希望对您有所帮助。"
    assert intros.drop([lead, DOC, outro]) == [DOC]


def test_a_documents_closing_summary_stays():
    assert intros.drop([DOC, "以上是2023年乡镇年度工作计划的主要内容。"]) == [DOC, "以上是2023年乡镇年度工作计划的主要内容。"]


def test_a_collections_lead_after_a_label_in_the_same_paragraph_goes():
    line = "【#工作总结# 导语】时光飞逝,一年即将结束。以下是样例考网整理的个人工作总结范文,欢迎阅读参考!"
    assert intros.drop([line, DOC]) == [DOC]


def test_plain_intro_addressing_the_reader_without_an_editor_word_goes():
    lead = "在平平淡淡的日常中,报告的用途越来越大。这里给大家分享一些关于社会实践报告,方便大家学习。"
    assert intros.drop([lead, DOC]) == [DOC]


def test_outro_by_another_editor_word_and_closing_goes():
    assert intros.drop([DOC, "以上内容就是编辑为各位精心准备的实践报告范文,如果觉得不错,记得转发给身边的朋友哦。"]) == [DOC]


def test_a_speech_addressing_its_audience_stays():
    line = "下面,我给大家讲三点意见,希望大家认真抓好落实。"
    assert intros.drop([line, DOC]) == [line, DOC]


def test_an_editorial_office_is_no_editor():
    line = "以上稿件由编辑部统一审核,希望各单位按时报送。"
    assert intros.drop([DOC, line]) == [DOC, line]


def test_an_editor_intro_that_closes_with_come_and_see_goes():
    assert intros.drop(["小编今天为大家带来了几篇元旦晚会的主持词开场白,一起来看看吧!", DOC]) == [DOC]


def test_an_outro_that_thanks_for_reading_goes():
    assert intros.drop([DOC, "感谢您的阅读,本文由本站编辑整理,仅供参考。"]) == [DOC]


def test_a_collection_lead_closing_with_please_refer_goes():
    assert intros.drop(["下文是关于疫情防控倡议书的范文,请参考。", DOC]) == [DOC]


def test_an_outro_about_the_content_above_goes_but_a_report_ending_stays():
    assert intros.drop([DOC, "以上就是关于疫情防控倡议书的全部内容,希望能帮到你。"]) == [DOC]
    own = "以上是我的述职报告,请各位领导和同志们审议。"
    assert intros.drop([DOC, own]) == [DOC, own]

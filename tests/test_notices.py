"""pipelines/extract/notices.py: download templates and notice blocks go; a document's own numbered list stays."""
from pipelines.extract import notices

DOC = "为加强社区安全管理,切实保障居民生命财产安全,结合本社区实际情况,经研究决定,制定本实施方案,请各网格认真贯彻执行。"


def test_widget_and_form_lines_go():
    lines = ["极速下载 访客一键下载", "会员账号登录下载", "加入VIP尊享免费下载", "手机号/邮箱:",
             "验证码:   换一换", "付款方式: 支付宝 微信支付", "分享到微信 分享到微博", "二维码", "忘记密码?", "点击这里给我发消息", "上传文档赚钱", DOC]
    assert notices.drop(lines) == [DOC]


def test_short_headings_of_a_document_stay():
    lines = ["原文:", "三、资源共享", "二、下载与安装", "（一）会员大会", "1. 会员注册流程", DOC]
    assert notices.drop(lines) == lines


def test_notice_header_with_numbered_site_talk_goes_but_the_document_list_after_it_stays():
    lines = ["【友情提示】", "2、Word文件下载后若排版错乱,请使用电脑端浏览器重新打开。",
             "3、本平台不支持网盘工具下载,请直接点击下载按钮。", "4、试卷类文档如标题未注明含答案,则视为不含答案。",
             "1、加强组织领导。成立工作专班,明确责任分工。", "2、落实工作责任。各网格长为第一责任人。", DOC]
    assert notices.drop(lines) == lines[4:]


def test_unnumbered_notice_lines_after_a_header_go():
    lines = ["温馨提示:", "登录名和密码即您填写的手机号,便于以后查询和再次下载(系统自动生成)。",
             "如手机号为135,账号就是135,密码也是135。", DOC]
    assert notices.drop(lines) == [DOC]


def test_header_without_notice_lines_is_a_section_of_the_document():
    lines = ["说明", "本方案自印发之日起施行,由区应急管理局负责解释。", DOC]
    assert notices.drop(lines) == lines


def test_headerless_numbered_notices_before_the_document_go():
    lines = ["1. 1、下载资料前请仔细核对内容是否完整,本站不提供修改和答疑等额外服务。",
             "2. 2、部分预览的资料可能显示不全,如遇问题可联系客服申请退款。",
             "3. 3、如资料侵犯了您的版权,请联系平台客服处理(客服在线时间:8:30-17:30)。",
             "第一章 总则", "1、为规范资料管理,制定本办法。", DOC]
    assert notices.drop(lines) == lines[3:]


def test_numbered_list_about_downloads_inside_a_document_stays():
    lines = [DOC, "1、登录单位平台账号,进入申报系统。", "2、下载申报表格,填写后上传。", DOC]
    assert notices.drop(lines) == lines


def test_header_with_its_notices_on_the_same_line_goes():
    lines = ["【下载声明】1. 本站资料仅供学习交流,下载后请于24小时内删除;2. 如侵犯了您的权益,请联系客服处理。", DOC]
    assert notices.drop(lines) == [DOC]


def test_a_documents_sentence_after_a_short_label_stays():
    lines = ["说明:本平台建设资金由市财政统一拨付,专款专用。", "温馨提示:近期气温骤降,请居民注意防寒保暖。", DOC]
    assert notices.drop(lines) == lines


def test_rights_notice_after_a_limits_header_goes():
    lines = ["特殊限制:", "部分作品中含有的图片仅作为整体效果示例展示,禁止商用。设计者仅对作品中独创性部分享有著作权。", DOC]
    assert notices.drop(lines) == [DOC]


def test_short_header_with_the_site_named_twice_goes():
    line = "声明:本文内容由用户自行上传,本网站不拥有所有权,如发现涉嫌版权的内容,欢迎举报。"
    assert notices.drop([line, DOC]) == [DOC]


# -- generalised: a header by its word class, a first tip about files, a document's own 特别提示 --

def test_a_header_of_the_class_not_in_the_list_opens_a_block():
    # 特别说明 is no listed header: modifier (特别) + head noun (说明) makes it one
    lines = ["【特别说明】", "一、文档下载后如有乱码,请使用WPS或Office2010以上版本打开。",
             "二、本站仅提供存储空间,如发现侵权内容请联系客服删除。", DOC]
    assert notices.drop(lines) == [DOC]


def test_a_documents_own_special_notice_list_stays():
    # about tickets and prices (file and shop words), never about the site itself
    lines = [DOC, "特别提示", "1、优惠活动仅限5月17日至19日,请游客在规定的售票时间内购票参观游览。",
             "2、各类门票价格请以当天售票窗口公布的价格为准。"]
    assert notices.drop(lines) == lines


def test_a_notice_block_between_two_sections_of_the_document_is_its_own():
    lines = [DOC, "一、参赛对象:全校在校学生。", "二、作品要求:作品须围绕主题。", "注意事项",
             "1、参赛作品须为本人原创,不得侵犯他人著作权,一经发现取消参赛资格。",
             "2、作品请上传至学校网站活动专栏,文件格式为JPG,大小不超过10MB。", "三、评选办法:由评委进行评选。"]
    assert notices.drop(lines) == lines
    # the same block before the document starts is the site's
    assert notices.drop(lines[3:6] + [DOC]) == [DOC]


def test_circled_numbers_after_a_download_header():
    lines = ["下载必看:", "①本站资源均为用户上传,仅供预览,下载后可编辑。", "②付费资源下载后不支持退款。", "③如有侵权,请联系客服删除。", DOC]
    assert notices.drop(lines) == [DOC]

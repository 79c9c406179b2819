"""Each line rule of pipelines/extract/clean.py: what it removes, and what it must leave alone."""
import pytest

from pipelines.extract import clean
from pipelines.extract.rules import detect_family, load


@pytest.fixture(scope="module")
def rules():
    return load()


LONG = "我局认真贯彻落实市委市政府各项决策部署,扎实推进重点工作,取得了明显成效,各项主要指标均已完成年度目标任务,现将有关情况报告如下。"


@pytest.mark.parametrize("line", [
    "ID:1742762", "大小:31.24KB", "页数:21页", "格式:DOCX", "时间:2023-04-22",
    "上传人:是你****岺呀 上传时间:2024-09-11 格式:DOCX 页数:10 大小:17KB 金币:10 举报 版权申诉",
    "時間:2022-07-24 08:47:42", "发布 2023-06-11 07:47:28 阅读 7607",
    "收藏 分享赚钱", "返回 下载 相关 举报", "10 金币", "下载此文档", "预览",
    "预览加载中,请您耐心等待几秒...", "已阅读5页,还剩8页未读 继续免费阅读",
    "2023年工作总结_第1页", "第1页 / 共43页", "- 上一篇:科技局局长招商引资工作汇报", "下一篇：社区工作计划",
    "Copyright © 2026 样例文库 版权所有", "网站客服:3074922707", "此文档下载收益归作者所有",
    "《X.docx》由会员分享,可在线阅读,更多相关《X(8页珍藏版)》请在某站上搜索。",
    # download templates and 范文 headers
    "本次下载需要5积分", "• 资源ID:778899   资源大小:12.5KB   全文页数:8页", "• 资源格式: PDF   下载积分:3金币",
    "首页 某某文库 > 资源分类 > PDF文档下载", "• 工作总结>", "欢迎光临某某文库! | 帮助中心",
    "社区安全工作方案.pdf", "---此处隐藏1200字,下载后查看---", "说明:本文内容仅供预览,部分内容可能不全",
    "时间:", "来源:网友投稿", "更新时间:2023-05", "- 相关推荐", "- 某某工作方案 推荐度:", "关 键 词: 工作 方案",
    "精品专区_国产高清_在线观看_亚洲一区_免费视频", "以上为预览内容,下载后可查看全文", "试读已结束",
    "剩余 3 页未读,继续阅读", "转载请注明出处", "小编推荐:更多范文", "配套讲稿:",
    "上传者:木**子 下载次数:52 文档价格:3元 文档星级:★★★",
    "第 2 页 共 5 页", "- 3 -", "已有 128 人下载", "精品文档", "欢迎下载", "第二页",
    "某某网 > 范文大全 > 工作总结 > 个人工作总结",
    "文档格式:.doc 文档大小:45.5KB 文档页数:6页 顶/踩数:0/0 收藏人数:2 文档热度:",
])
def test_chrome_lines(rules, line):
    assert clean.is_chrome_line(line, rules)


@pytest.mark.parametrize("line", [
    "群众反映办事难,我们开通网上办理,材料可以在政务网站下载,填写后直接提交,减少了跑腿次数。",  # quotes 下载
    "会上回顾了上一篇章的工作成绩,也分析了下一篇章的任务和挑战,明确了努力方向。",  # mentions 上一篇
    "一、取得的成绩", "1、招商引资工作成效显著。", "（一）科技投入不断加大。", "1.壮大创新主体队伍",
    "20xx年计划培育**企业12家,*万元", LONG,
    "甲方:某某公司 乙方:某某社区", "若 a > b > c,则 a > c。", "数据按 输入 > 处理 > 输出 的顺序流转,每一步都要记录。",
])
def test_body_lines_kept(rules, line):
    assert not clean.is_chrome_line(line, rules)
    assert clean.clean_lines(["标题", line, LONG], rules)[1:2] == [line] or line == LONG


def test_tips_block_dropped_with_its_numbered_lines(rules):
    lines = ["温馨提示:", "1. 部分文件查看预览时可能显示错乱。", "2. 本文档由用户上传。", LONG]
    assert clean.drop_tips(lines, rules) == [LONG]


def test_enumeration_after_body_is_not_a_tip_block(rules):
    lines = [LONG, "1、加强领导。", "2、落实责任。"]
    assert clean.drop_tips(lines, rules) == lines


def test_tail_after_related_documents_dropped(rules):
    lines = [LONG, "你可能关注的文档", "收起", "2022年工作总结"]
    assert clean.drop_tail(lines, rules) == [LONG]


def test_tail_marker_before_body_is_not_a_cut(rules):
    lines = ["相关文档", LONG, "结尾一句。"]
    assert clean.drop_tail(lines, rules) == lines


def test_teasers_ending_in_dots_dropped():
    lines = [LONG, "科技局2023年工作计划", "2017年是实施十三五规划的深化之年,今年全区科技创新工作的主要目标是...",
             "市科技局工作计划", "一 按照建设创新型行动计划的要求,强化科技成果的转化..."]
    assert clean.drop_teasers(lines) == [LONG]


def test_a_body_ending_normally_is_not_a_teaser():
    lines = [LONG, "特此报告。"]
    assert clean.drop_teasers(lines) == lines


def test_keyword_line_in_header_only():
    assert clean.drop_header_keywords(["2023 科技局 年度工作 总结 工作 设想", LONG]) == [LONG]
    assert clean.drop_header_keywords([LONG, "甲 乙 丙 丁"]) == [LONG, "甲 乙 丙 丁"]


def test_title_echo_and_title_glued_to_body():
    title = "区科技局年度工作总结及2022年农业科技园建设工作思路.docx"
    lines = [title, "区科技局年度工作总结及2022年农业科技园建设工作思路区科技局年度工作总结及下一步工作思路" + LONG]
    out = clean.drop_title_echo(lines, title)
    assert out == ["区科技局年度工作总结及下一步工作思路" + LONG]


def test_numbered_preview_pages_rejoined():
    p1 = "1、县科技局工作总结今年以来,县科技局按照县委的统一部署,大力推进创新驱动发展,积极落实高新技术企业"
    p2 = "2、优惠政策,用好自治区高新技术企业发展扶持资金,新认定7家高新技术企业,已收到州级研发项目资金*万元"
    out = clean.rejoin_pages([p1, p2])
    assert out == [p1[2:] + p2[2:]]
    assert "企业优惠政策" in out[0]


def test_real_enumeration_keeps_numbers():
    items = ["1、招商引资工作成效显著。今年以来,完成招商引资额5000万元,亿元以上进园开工项目1个,道路围墙已建好。",
             "2、全社会研发投入工作扎实开展。市里把研发投入占GDP比重作为硬性指标进行考核,实行一票否决制度。",
             "3、联合市财政、市金融局完成了联合科技信贷试点方案的起草,现已提请市政府审议,等待批复实施。"]
    assert clean.rejoin_pages(items) == items
    short = ["1、加强领导", "2、落实责任", "3、强化督查"]
    assert clean.rejoin_pages(short) == short


def test_numbered_pages_of_a_family_that_numbers_pages(rules):
    fam = rules.family("member-share")
    pages = ["1、" + LONG, "2、" + LONG]
    assert clean.rejoin_pages(pages, fam) == [LONG + LONG]


def test_broken_line_inside_a_sentence_joined():
    a = "一是打造苗圃孵化创业链。在华中科技大学、兰州理工大学等高校设立分园,启动孵化器建设二期工程,并在职业"
    assert clean.join_broken_lines([a, "技术学院设立工作站。"]) == [a + "技术学院设立工作站。"]
    heading = "二、主要做法"
    assert clean.join_broken_lines([heading, "加强领导。"]) == [heading, "加强领导。"]
    assert clean.join_broken_lines([a, "（一）加强领导。"]) == [a, "（一）加强领导。"]


def test_repair_broken_entities_keeps_masks(rules):
    assert clean.repair("花木之窗bull;星创天地,xx区**镇*万元", rules) == "花木之窗•星创天地,xx区**镇*万元"
    assert clean.repair("AT&amp;T and bullion;", rules) == "AT&amp;T and bullion;"


def test_promo_sentence_cut(rules):
    line = "加强组织领导,确保任务落实。更多工作计划范文,海量公文素材资料,下载网址:example.invalid"
    assert clean.drop_promos([line], rules) == ["加强组织领导,确保任务落实。"]


def test_appendix_split_and_title(rules):
    parts = clean.split_appendix("第一份文档的正文。以下内容供阅读:区科技局2023年工作计划2023年区科技局按照部署推进工作。", rules)
    assert parts[0] == "第一份文档的正文。"
    assert clean.title_from_start(parts[1], rules) == "区科技局2023年工作计划"


def test_family_detection_from_telltales(rules):
    assert detect_family(["上传人:x 上传时间:2024-09-11", "预览加载中,请您耐心等待几秒...", "下载此文档"]) == "uploader-coins"
    assert detect_family(["今天天气很好。", "我们去公园散步。"]) is None


@pytest.mark.parametrize("line", [
    "发表于 2024-4-11 11:52:24 | 只看该作者 来自 - 湖北", "11 天前", "板凳", "#3", "12楼", "楼主",
    "阿木 2020.06.09 09:42 发布", "编辑于 2023-03-01 15:45・IP 属地北京", "查看: 3481|回复: 3",
    "6765 有用 某网友 看过 2024-04-07 13:19:20 贵州", "1 人赞同了该回答", "昨天 21:05", "北野 @alimy",
])
def test_thread_bylines_and_floor_labels(rules, line):
    assert clean.is_chrome_line(line, rules)


@pytest.mark.parametrize("line", [
    "2023年5月12日，我市召开防汛工作会议。",  # a sentence that starts with a date
    "会议定于2024-06-01 09:30在三楼会议室举行，请准时参加。",
    "楼主说得对，我也遇到过这个问题",  # a reply that starts with 楼主
    "@小王 你说的方法我试过了，不行",  # a reply to someone
    "2025年2月20日", "2024-05-20",  # a date alone: the document's date under a notice
    "3天前就该处理的事情，拖到今天，结果被领导批评了一通，以后要吸取教训",
])
def test_thread_rules_keep_sentences(rules, line):
    assert not clean.is_chrome_line(line, rules)


@pytest.mark.parametrize("line", ["仅看楼主 倒序看帖", "浏览 (640) 点赞 (5)", "回复", "全部评论 最热 最新", "手机查看"])
def test_thread_tool_lines(rules, line):
    assert clean.is_chrome_line(line, rules)


def test_a_reply_that_uses_tool_words_stays(rules):
    assert not clean.is_chrome_line("回复楼上：最新版本已经修好了，点赞", rules)


@pytest.mark.parametrize("pattern, literal", [
    ("[^。！？\\n]{0,60}海量公文素材[^。！？\\n]*[。]?", "海量公文素材"),
    ("本文由[^。]{1,30}(整理|提供)", "本文由"),
    ("ab?cd", "cd"),            # b may be absent: only a and cd are required
    ("(甲|乙)方", "方"),
    ("(?i)abc", ""),            # case-folded: a literal test would miss ABC
    ("\\d+页", "页"),
])
def test_required_literal(pattern, literal):
    import re

    from pipelines.extract.rules import required_literal
    assert required_literal(re.compile(pattern)) == literal


def test_promo_cut_only_where_its_literal_is(rules):
    lines = ["工作总结范文，海量公文素材资料，下载网址：x。今年我局完成了各项任务。", "本文由网友整理。正文在此。", "与推广无关的一行。"]
    assert clean.drop_promos(lines, rules) == ["今年我局完成了各项任务。", "正文在此。", "与推广无关的一行。"]


def test_site_name_line_goes_where_the_page_names_its_site(rules):
    lines = ["欢迎来到某某文库! | 帮助中心", "某某文库", "全部分类", LONG, "某某文库是本文的出处之一。"]
    assert clean.clean_lines(lines, rules) == [LONG, "某某文库是本文的出处之一。"]


def test_header_zone_between_title_echoes_goes(rules):
    title = "社区卫生工作心得"
    lines = [title, "时间:2021-01-03 17:25:30 心得体会", title, "校园保洁心得", title, LONG]
    assert clean.clean_lines(lines, rules, title=title) == [LONG]


def test_header_zone_with_a_sentence_between_echoes_keeps_it(rules):
    title = "社区卫生工作心得"
    lines = [title, "本文写于去年冬天。", title, LONG]
    assert clean.clean_lines(lines, rules, title=title) == ["本文写于去年冬天。", LONG]


def test_title_glued_to_a_heading_that_restates_it_goes_but_a_title_sentence_stays(rules):
    title = "区科技局年度工作总结"
    glued = "区科技局年度工作总结区科技局2023年度工作总结及下一步工作思路今年以来,我局认真贯彻落实各项部署。"
    assert clean.drop_title_echo([glued], title) == [glued[len(title):]]
    sentence = "区科技局年度工作总结是为了回顾一年来的工作、查找不足、明确下一步方向而形成的材料。"
    assert clean.drop_title_echo([sentence], title) == [sentence]
    own = "开龙IT管理手册业务篇1. 销售业务【内容描述】 销售业务在实施部分已经介绍过了,这里介绍如何提高销售业绩。"
    assert clean.drop_title_echo([own], "开龙IT管理手册业务篇") == [own]


def test_first_page_marker_before_the_title_goes(rules):
    line = "1、开龙IT管理手册业务篇1. 销售业务【内容描述】 销售业务在实施部分已经介绍过了,这里介绍如何提高销售业绩。"
    assert clean.drop_title_echo([line], "开龙IT管理手册业务篇") == [line[2:]]


@pytest.mark.parametrize("lines,title", [
    (["精品专区_国产高清_在线观看_亚洲一区_免费视频", "我要投稿 投诉建议", "社区卫生工作心得", LONG], "社区卫生工作心得"),
    (["欢迎来到某某办公!", "某某办公", "全部分类", "• 资源ID:1234  资源大小:10KB", "社区安全工作方案.docx", LONG], "社区安全工作方案.docx"),
    (["王小明 李华 张三", "【摘 要】" + LONG, "一、引言", LONG], None),
    (["- 某某工作方案 推荐度:", "- 相关推荐", "某某公司绩效考核方案(通用6篇)", LONG], "某某公司绩效考核方案(通用6篇)"),
    (["科技局考核实施方案_第1页", "科技局考核实施方案_第2页", "已阅读2页,还剩8页未读", LONG], "科技局考核实施方案"),
])
def test_text_title_skips_spam_author_lines_and_section_headings(rules, lines, title):
    from pipelines.extract import metadata
    assert metadata.text_title(lines, rules) == title


def test_a_one_page_preview_loses_its_marker_only_on_a_numbering_site(rules):
    from pipelines.extract.rules import Family
    page = "1、" + LONG * 4
    numbering = Family(id="x", telltales=[], numbered_pages=True)
    assert clean.rejoin_pages([page], numbering) == [page[2:]]
    assert clean.rejoin_pages([page], None) == [page]
    assert clean.rejoin_pages([page, LONG, "2、落实责任。"], numbering) == [page, LONG, "2、落实责任。"]


def test_a_short_document_keeps_its_heading(rules):
    # a page whose whole document is its heading and one line: without the heading nothing is left
    title = "旧书旧教材上门收购服务说明"
    assert clean.drop_title_echo([title, "电话 13800000000 王师傅"], title) == [title, "电话 13800000000 王师傅"]
    assert clean.clean_lines([title, "电话 13800000000 王师傅"], rules, title=title)[0] == title
    assert clean.drop_title_echo([title, LONG], title) == [LONG]  # a document of its own: the echo goes


# -- generalised classes: read walls, preview limits, disclaimers, data sheets, tips by vocabulary --

@pytest.mark.parametrize("line", [
    "已阅读3页,剩余6页未读,点击阅读全文", "已读 2 页 还有 9 页", "还剩5页未看",
    "本文共8页,当前仅展示前2页内容", "剩余内容需下载后查看 >>", "展开阅读全文 ∨", "点击查看完整内容", "广告", "【推广】",
    "摘要:本篇内容来自网络投稿,仅代表作者个人观点,与本平台无关。",
    "本文由网友投稿整理,文中观点不代表本站立场。",
    "文档编码:A20931   文件大小:88KB   共5页   文件类型:DOC   所需下载券:3",
])
def test_generalised_chrome_lines(rules, line):
    assert clean.is_chrome_line(line, rules)


@pytest.mark.parametrize("line", [
    "全部材料须登录系统后查看并确认,逾期未确认的视为放弃,由此产生的后果由申请人自行承担。",
    "甲方:某某公司 乙方:某某物业 签订日期:2024年1月",
    "该数据由用户提供,经核实后并不代表官方统计口径,仅供研究者参考使用,具体以统计局公布为准,请读者注意甄别。" * 2,
    "调查显示,学生下载过需要充值的游戏,其中部分学生曾购买游戏金币。",
])
def test_generalised_rules_keep_document_lines(rules, line):
    assert not clean.is_chrome_line(line, rules)


def test_a_documents_own_warm_tips_list_stays(rules):
    lines = ["温馨提示", "1、不要私拉乱接电线,不要在楼道内给电动车充电。", "2、使用取暖器时远离窗帘等可燃物,人走断电。", LONG]
    assert clean.drop_tips(lines, rules) == lines


def test_site_tips_after_a_tip_header_still_go(rules):
    lines = ["温馨提示:", "1. 部分文件查看预览时可能显示异常,以下载后为准。", "2. 下载前请仔细阅读文档内容。", LONG]
    assert clean.drop_tips(lines, rules) == [LONG]


def test_a_long_paragraph_ending_in_dots_after_a_sentence_is_the_body_cut_off():
    cut = "开头开门见山的写出了所要记叙的事情,好像是憋闷了许久的言语冲口而出," * 4 + "行文..."
    assert clean.drop_teasers([LONG, cut]) == [LONG, cut]
    assert clean.drop_teasers([LONG, "相关范文标题", cut]) == [LONG]


@pytest.mark.parametrize("line", [
    "《乡镇河长制工作总结》由用户上传分享,支持在线阅读,更多与《乡镇河长制工作总结(6页)》相关的文档请到某某文库查找。",
    "预览中,请耐心等候……", "文档加载中,请您稍候", "文档收益归上传者所有 | 本文档如侵犯您的权益请点此认领",
    "本站内容由网友自发贡献,本站不对其真实性负责。", "转载请标明出处:某某范文网",
])
def test_member_share_loading_revenue_and_disowning_lines_by_class(rules, line):
    assert clean.is_chrome_line(line, rules)


@pytest.mark.parametrize("line", [
    "《安全生产法》由全国人民代表大会常务委员会发布,自2021年9月1日起施行,各单位要认真组织学习。",
    "经核查,该项目收益归属于村集体经济组织,由村委会统一管理使用,任何个人不得截留挪用。",
    "对因不可抗力造成的损失,本单位不承担赔偿责任,但应当及时通知对方并采取补救措施。",
    "文章转载请注明出处,这是新闻出版行业的一项基本规范,也是尊重作者劳动成果的具体体现,各编辑部门和各位通讯员要严格执行。",
])
def test_class_rules_leave_a_documents_sentences(rules, line):
    assert not clean.is_chrome_line(line, rules)


def test_a_tip_block_between_two_sections_of_the_document_is_its_own(rules):
    lines = ["二、作品要求:作品须围绕主题。", "注意事项", "1、参赛作品须为本人原创,不得侵犯他人著作权。",
             "2、作品请上传至学校网站活动专栏,文件格式为JPG。", "三、评选办法:由评委进行评选。"]
    assert clean.drop_tips(lines, rules) == lines


@pytest.mark.parametrize("marker", ["大家都在看", "为您推荐", "相似文档", "热门范文:", "你可能还喜欢", "看了本文的人还看了"])
def test_tail_markers_by_class(rules, marker):
    assert clean.drop_tail([LONG, marker, "某某工作总结范文"], rules) == [LONG]


def test_a_heading_about_related_work_is_no_tail_marker(rules):
    lines = [LONG, "相关工作开展情况", LONG]
    assert clean.drop_tail(lines, rules) == lines


def test_promo_sentence_by_class_cut_from_its_paragraph(rules):
    line = "居民参与社区事务的热情明显提高。更多优质总结范文尽在某某范文网,欢迎下载使用。"
    assert clean.drop_promos([line], rules) == ["居民参与社区事务的热情明显提高。"]
    own = "更多的资料将在会后印发给各单位。"
    assert clean.drop_promos([own], rules) == [own]


@pytest.mark.parametrize("line", ["本文档共12页,可免费试读3页", "免费阅读已结束,下载后查看全部内容"])
def test_read_quota_lines_by_class(rules, line):
    assert clean.is_chrome_line(line, rules)

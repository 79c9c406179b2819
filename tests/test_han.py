"""One definition of a Han character (pipelines/han.py), the same in every stage and rule file: a
character of extension B (𠀀, 𠮷, four bytes in GB 18030) or of the compatibility block counts
wherever 中 counts; a Yijing hexagram (䷀, between extension A and the main block) nowhere."""
import pathlib
import re

import pytest

from pipelines import han
from pipelines.extract import convert, docmeta, langid, metadata, notices, pinyin, quality, rules, watermark
from pipelines.extract.clean import is_chrome_line
from pipelines.extract.decode import _script_counts
from tests.sitefarm import ROOT

HAN = ["中", "㐀", "䶵", "豈", "𠀀", "𠮷", "𪚥", "𰀀"]  # main block, ext A, compatibility, ext B, ext G
NOT_HAN = ["䷀", "，", "。", "a", "あ", "한", "⺀", "〇", "😀"]  # hexagram, punctuation, Latin, kana, Hangul, radical


@pytest.mark.parametrize("char", HAN)
def test_a_han_character_is_one_everywhere(char):
    text = f"ab{char}，{char}{char}"
    assert han.is_han(char) and han.count(text) == 3
    assert langid.count(langid.HAN, text) == 3
    assert _script_counts(text)[1] == 3
    assert quality.signals(text, rules.load())["han_ratio"] == round(3 / len(text), 3)
    assert len(notices.WORD.findall(text)) == 5
    assert re.fullmatch(rf"[{docmeta.HAN}]+", char * 3)


@pytest.mark.parametrize("char", NOT_HAN)
def test_other_characters_are_not(char):
    assert not han.is_han(char) and han.count(char * 3) == 0
    assert langid.count(langid.HAN, char) == 0 and _script_counts(char)[1] == 0


def test_the_patterns_see_an_extension_b_character_as_a_character():
    assert len(pinyin.find_annotations("𠮷(jí)祥")) == 1  # pinyin after a rare character
    assert watermark.BACKTICK.search("𠮷`𠀀")  # an anti-copy mark between two
    assert metadata.AUTHOR_LINE.match("𠮷莉 张颖 陈冰")  # a byline whose first name has one
    # t2s changed one of 21 Han characters: below the traditional share, not "mostly traditional"
    assert convert.simplify("體" + "𠀀" * 20) == ("体" + "𠀀" * 20, False)


def test_rule_files_say_han_once():
    """`\\p{Han}` in the YAML rules is the same class (breadcrumbs: four short parts with Han in each)."""
    assert han.expand(r"[\p{Han}a]") == f"[{han.RANGES}a]"
    assert is_chrome_line("某站 > 范文大全 > 工作总结 > 个人总结", rules.load())
    assert is_chrome_line("𠀀𠀁 > 𠀂𠀃 > 𠀄𠀅 > 𠀆𠀇", rules.load())
    assert not is_chrome_line("输入 > 处理 > 输出", rules.load())


def test_no_other_module_or_rule_file_defines_the_ranges():
    """A new `[\\u4e00-\\u9fff]` somewhere would be a second definition: han.CLASS or `\\p{Han}`.
    pipelines/extract/score.py is the shared scorer's measure, its own pattern included."""
    range_literal = re.compile(r"\\u4e00-|\\u3400-|\\U00020000-|一-龥|[\u4e00\u3400]-", re.I)
    allowed = {"pipelines/han.py", "pipelines/extract/score.py"}
    found = []
    for top in ("pipelines", "crawler", "docsites", "benchmarks"):
        for path in sorted(pathlib.Path(ROOT, top).rglob("*")):
            rel = path.relative_to(ROOT).as_posix()
            if path.suffix in (".py", ".yaml", ".yml") and rel not in allowed:
                found += [f"{rel}: {line.strip()}" for line in path.read_text(encoding="utf-8").splitlines()
                          if range_literal.search(line)]
    assert not found

"""Tokens, query terms, highlighting and snippets (no database)."""

from search.text import highlight, index_tokens, query_terms, snippet


def test_chinese_runs_are_cut_into_pairs_plus_their_last_character():
    assert index_tokens("北京大学") == "北京 京大 大学 学"


def test_latin_words_and_digits_are_kept_whole_lower_cased():
    assert index_tokens("Django 2026 年") == "django 2026 年"


def test_full_width_letters_and_digits_are_normalized():
    assert index_tokens("ＡＩ大会２０２６") == "ai 大会 会 2026"


def test_punctuation_and_emoji_separate_runs_and_are_dropped():
    assert index_tokens("校友，你好！😀") == "校友 友 你好 好"


def test_a_query_word_becomes_its_pairs_in_order():
    (term,) = query_terms("校友会")
    assert term.tokens == ("校友", "友会")
    assert not term.prefix


def test_a_single_character_is_a_prefix_term():
    (term,) = query_terms("校")
    assert term.tokens == ("校",)
    assert term.prefix


def test_operators_and_symbols_are_plain_words_or_nothing():
    assert [t.tokens for t in query_terms('OR "x" * % NEAR')] == [("or",), ("x",), ("near",)]
    assert query_terms("%*\"'😀") == []


def test_repeated_words_are_one_term():
    assert len(query_terms("校友 校友 Alumni alumni")) == 2


def test_highlight_marks_the_terms():
    assert highlight("北京大学校友会", query_terms("校友")) == "北京大学<mark>校友</mark>会"


def test_latin_words_are_highlighted_whatever_their_case():
    assert highlight("Django 大会", query_terms("django")) == "<mark>Django</mark> 大会"


def test_highlight_escapes_the_content_before_marking():
    html = highlight("<script>alert(1)</script>校友", query_terms("校友"))
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;<mark>校友</mark>"


def test_a_query_with_markup_marks_only_escaped_text():
    html = highlight("a <b> c", query_terms("<b>"))
    assert "<b>" not in html
    assert html == "a &lt;<mark>b</mark>&gt; c"


def test_snippet_is_cut_around_the_first_match():
    text = "开头" * 100 + "校友返校日" + "结尾" * 100
    html = snippet(text, query_terms("返校"))
    assert html.startswith("…")
    assert html.endswith("…")
    assert "<mark>返校</mark>" in html
    assert len(html) < 160


def test_snippet_without_a_match_is_the_beginning():
    assert snippet("短文本", query_terms("校友")) == "短文本"


def test_traditional_characters_are_folded_to_simplified_in_the_index():
    assert index_tokens("校友會捐贈") == "校友 友会 会捐 捐赠 赠"


def test_a_traditional_query_becomes_simplified_pairs():
    (term,) = query_terms("校友會")
    assert term.tokens == ("校友", "友会")


def test_a_simplified_query_marks_the_traditional_words_as_written():
    html = highlight("香港校友會捐贈儀式", query_terms("校友会 捐赠"))
    assert html == "香港<mark>校友會</mark><mark>捐贈</mark>儀式"


def test_a_snippet_is_cut_around_a_match_in_traditional_text():
    text = "一" * 60 + "臺灣校友會" + "二" * 60
    html = snippet(text, query_terms("台湾"))
    assert "<mark>臺灣</mark>校友會" in html
    assert html.startswith("…")


def test_hong_kong_forms_are_folded_too():
    assert index_tokens("衞生") == index_tokens("卫生") == "卫生 生"

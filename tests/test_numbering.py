"""Number normalisation, dial patterns and rewrite rules, against hand-worked cases and a
plain model."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vosengine.errors import InvalidArgument, InvalidArgumentType
from vosengine.numbering import (
    SEPARATORS,
    AllSections,
    DialPattern,
    NumberSection,
    RewriteRule,
    SectionVerdict,
    normalize_number,
    rewrite,
)
from vosengine.reasons import TerminationReason, from_sip_status

# -- normalisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("+44 20 7946 0958", "442079460958"),
        ("(020) 7946.0958", "02079460958"),
        ("8801-712-345678", "8801712345678"),
        ("*67#", "*67#"),
        ("442079460958", "442079460958"),
    ],
)
def test_a_number_as_people_type_it_becomes_its_digits(typed: str, digits: str) -> None:
    assert normalize_number(typed) == digits


@pytest.mark.parametrize(
    ("typed", "where"),
    [
        ("+44 20 79x6", "'x' at position 9"),
        ("44+20", "'+' at position 2"),
        ("++44", "'+' at position 1"),
        ("٤٤١٢", "'٤' at position 0"),  # Arabic-Indic digits are digits to str.isdigit
        ("４４", "'４' at position 0"),  # fullwidth
        ("44\t20", "'\\t' at position 2"),
    ],
)
def test_anything_else_is_refused_naming_the_character_and_position(typed: str, where: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(where)):
        normalize_number(typed)


@pytest.mark.parametrize("typed", ["", "+", " - ", "()"])
def test_a_number_without_digits_is_refused(typed: str) -> None:
    with pytest.raises(InvalidArgument, match="has no digits"):
        normalize_number(typed, field="callee")


def test_a_number_that_is_not_a_str_is_a_type_error_naming_the_field() -> None:
    with pytest.raises(InvalidArgumentType, match="callee: expected the number as a str"):
        normalize_number(4420, field="callee")


@given(st.text(alphabet="0123456789*#+" + SEPARATORS + "a٤", max_size=12))
def test_normalisation_is_drop_the_separators_or_refuse(typed: str) -> None:
    """The model: one leading '+' and the separators go; any other character is refused."""
    body = typed[1:] if typed.startswith("+") else typed
    expected = "".join(char for char in body if char not in SEPARATORS)
    if not expected or any(char not in "0123456789*#" for char in expected):
        with pytest.raises(InvalidArgument):
            normalize_number(typed)
    else:
        assert normalize_number(typed) == expected
        assert normalize_number(expected) == expected  # idempotent


# -- dial patterns ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "number", "fits"),
    [
        ("44?0*{11,12}", "44107946095", True),
        ("44?0*{11,12}", "441079460951", True),
        ("44?0*{11,12}", "4410794609", False),  # 10 digits: too short
        ("44?0*{11,12}", "4410794609512", False),  # 13: too long
        ("44?0*{11,12}", "44117946095", False),  # fourth digit not 0
        ("1800???", "1800555", True),
        ("1800???", "18005555", False),  # whole number: no trailing digits
        ("1800*", "1800", True),  # '*' includes the empty run
        ("1800\\*?", "1800*5", True),  # escaped star is the star key
        ("1800\\*?", "180015", False),
        ("*99", "4499", True),
        ("*99", "4498", False),
        ("?*{3}", "123", True),
        ("#31#*", "#31#4420", True),
        ("44*{,5}", "44123", True),
        ("44*{,5}", "441234", False),
        ("44*{6,}", "441234", True),
    ],
)
def test_a_pattern_matches_the_whole_number(pattern: str, number: str, fits: bool) -> None:
    assert DialPattern(pattern).matches(number) is fits


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("4a4", "'a' is none of the digits, '#', '*', '?', '\\*' or '{m,n}' at position 1"),
        ("44{3", "a length bound that is not a closing '{m,n}' at position 2"),
        ("44{5,3}", "has max < min at position 2"),
        ("44{}", "a length bound without a number at position 2"),
        ("44\\5", "'\\' escapes only '*' at position 2"),
        ("44\\", "'\\' escapes only '*' at position 2"),
        ("44??{3}", "can never match"),
        ("{3}", "matches no digit at all"),
    ],
)
def test_a_bad_pattern_is_refused_naming_the_position(pattern: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)) as caught:
        DialPattern(pattern)
    assert repr(pattern) in str(caught.value)


def test_a_pattern_files_under_its_literal_head() -> None:
    assert DialPattern("4420?*").head == "4420"
    assert DialPattern("1800\\*5*").head == "1800*5"
    assert DialPattern("*99").head == ""
    assert DialPattern("44?0") == DialPattern("44?0")


def _model_regex(pattern: str) -> re.Pattern[str]:
    """A plain translation into a regular expression, bounds included, for the property."""
    bounds = re.search(r"\{(\d*)(,?)(\d*)\}$", pattern)
    body, low, high = pattern, "0", ""
    if bounds:
        body = pattern[: bounds.start()]
        low = bounds.group(1) or "0"
        high = bounds.group(3) if bounds.group(2) else low
    out = body.replace("\\*", "S").replace("*", "[0-9]*").replace("?", "[0-9]")
    out = out.replace("S", "\\*")
    return re.compile(f"(?=.{{{low},{high}}}$){out}")


@given(
    st.text(alphabet="0129#?*", min_size=1, max_size=6),
    st.sampled_from(["", "{4}", "{2,5}", "{,6}", "{3,}"]),
    st.text(alphabet="0129*#", max_size=9),
)
def test_patterns_agree_with_a_regular_expression_model(
    body: str, bounds: str, number: str
) -> None:
    text = body + bounds
    try:
        pattern = DialPattern(text)
    except InvalidArgument:
        return  # a pattern that can never match; refused by construction
    assert pattern.matches(number) is bool(_model_regex(text).fullmatch(number))


# -- rewrite rules ------------------------------------------------------------------------


def test_the_three_rewrites_of_a_gateway() -> None:
    assert RewriteRule.strip(3).apply("0014155550100") == "4155550100"
    assert RewriteRule.add("1234#").apply("4420") == "1234#4420"
    assert RewriteRule.replace("0086", "86").apply("008613800138000") == "8613800138000"
    assert RewriteRule.replace("0086", "").apply("0086138") == "138"
    assert RewriteRule.strip(3).apply("00") is None  # too short: the rule does not apply


def test_the_text_form_is_match_colon_replacement() -> None:
    assert RewriteRule.parse("0086:86") == RewriteRule(match="0086", replacement="86")
    assert RewriteRule.parse(":00") == RewriteRule.add("00")
    assert RewriteRule.parse("???:") == RewriteRule.strip(3)
    assert str(RewriteRule.parse("0?1:9")) == "0?1:9"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0086", "expected 'match:replacement'"),
        (":", "match and replacement are both empty"),
        ("0a:1", "match: '0a' has 'a' at position 1"),
        ("0:1?", "replacement: '1?' has '?' at position 1"),
    ],
)
def test_a_bad_rule_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=re.escape(message)):
        RewriteRule.parse(text)


def test_the_first_rule_that_applies_rewrites() -> None:
    rules = [RewriteRule.parse("0044:44"), RewriteRule.parse("00:"), RewriteRule.add("9")]
    assert rewrite("0044207", rules) == "44207"
    assert rewrite("0086138", rules) == "86138"
    assert rewrite("207", rules) == "9207"
    assert rewrite("207", []) == "207"


def test_a_wildcard_digit_does_not_match_star_or_hash() -> None:
    assert RewriteRule.strip(1).apply("*67") is None
    assert not DialPattern("?67").matches("*67")


# -- termination reasons ------------------------------------------------------------------


def test_each_reason_has_a_final_status_and_a_reason_header() -> None:
    assert len(TerminationReason) >= 19
    for reason in TerminationReason:
        assert 400 <= reason.status <= 699
        assert reason.reason_header() == f'SIP ;cause={reason.status} ;text="{reason.value}"'
    assert TerminationReason.NO_AVAILABLE_ROUTER.status == 503
    assert TerminationReason.INSUFFICIENT_BALANCE.status == 402
    assert TerminationReason.CANCELLED.status == 487


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (None, TerminationReason.RESPONSE_TIMEOUT),
        (404, TerminationReason.NOT_FOUND),
        (484, TerminationReason.NOT_FOUND),
        (486, TerminationReason.USER_BUSY),
        (600, TerminationReason.USER_BUSY),
        (487, TerminationReason.CANCELLED),
        (488, TerminationReason.CODEC_MISMATCH),
        (503, TerminationReason.NO_AVAILABLE_ROUTER),
        (504, TerminationReason.CONNECTION_TIMEOUT),
        (603, TerminationReason.DECLINED),
        (699, TerminationReason.NO_AVAILABLE_ROUTER),
    ],
)
def test_a_vendor_response_maps_back_to_a_reason(status: int | None, reason: object) -> None:
    assert from_sip_status(status) is reason


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (200, InvalidArgument),
        (180, InvalidArgument),
        (True, InvalidArgumentType),
        ("486", InvalidArgumentType),
    ],
)
def test_a_status_that_is_no_final_failure_is_refused(status: object, error: type) -> None:
    with pytest.raises(error, match="status"):
        from_sip_status(status)  # type: ignore[arg-type]


_PREFIXES = st.text("0123", min_size=1, max_size=3)


@st.composite
def sections(draw: st.DrawFn) -> NumberSection:
    allowed = draw(st.sets(_PREFIXES, max_size=4))
    blocked = draw(st.sets(_PREFIXES, max_size=4)) - allowed
    return NumberSection(allowed=allowed, blocked=blocked)


@given(
    st.lists(sections(), max_size=4),
    st.lists(st.text("01234", min_size=1, max_size=6), max_size=20),
)
def test_all_sections_in_one_look_up_is_every_section_asked(
    chain: list[NumberSection], numbers: list[str]
) -> None:
    merged = AllSections(chain)
    for number in numbers:
        assert merged.allows(number) is all(section.allows(number) for section in chain)


@given(
    st.lists(sections(), min_size=1, max_size=4),
    st.lists(st.text("01234", min_size=1, max_size=6), max_size=20),
)
def test_a_sections_look_up_and_default_answer_as_the_sections_do(
    chain: list[NumberSection], numbers: list[str]
) -> None:
    """What the directory keeps of a chain's sections (the look-up and its default, which
    admission calls without a Python frame) answers every number as the sections do."""
    for verdicts in [*chain, AllSections(chain)]:
        look_up, default = verdicts._look_up()
        assert type(default) is bool
        for number in numbers:
            assert look_up(number, default) is verdicts._allows_digits(number)


# -- sections fail closed ------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["+4420", "44 20 7946", "+44-20", "(44) 20", "4420"])
def test_a_block_list_blocks_a_number_however_it_is_typed(typed: str) -> None:
    section = NumberSection(blocked={"44"})
    assert not section.allows(typed)
    assert section.decide(typed) == SectionVerdict(allowed=False, entry="44")
    assert AllSections([section]).allows(typed) is False


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("٤٤20", r"number: '٤٤20' has '٤' at position 0; a number is digits"),
        ("4x4", r"number: '4x4' has 'x' at position 1"),
        ("44+20", r"has '\+' at position 2"),
        ("", r"number: '' has no digits"),
        ("+", r"number: '\+' has no digits"),
    ],
)
def test_a_number_a_section_cannot_read_is_refused_not_passed(typed: str, message: str) -> None:
    for section in (NumberSection(blocked={"44"}), NumberSection(), NumberSection(allowed={"4"})):
        for ask in (section.allows, section.decide, AllSections([section]).allows):
            with pytest.raises(InvalidArgument, match=message):
                ask(typed)


_TYPED_DIGITS = st.text("0123456789", min_size=1, max_size=8)


@st.composite
def typed_forms(draw: st.DrawFn, digits: str) -> str:
    """``digits`` as a person might type them: a leading ``+``, separators between digits."""
    parts = [draw(st.sampled_from(["", "+"]))]
    for digit in digits:
        parts.append(digit + draw(st.text(SEPARATORS, max_size=2)))
    return "".join(parts)


@given(sections(), _TYPED_DIGITS, st.data())
def test_a_section_says_of_a_typed_number_what_it_says_of_its_digits(
    section: NumberSection, digits: str, data: st.DataObject
) -> None:
    typed = data.draw(typed_forms(digits))
    assert section.allows(typed) is section.allows(digits)
    assert section.decide(typed) == section.decide(digits)


@given(sections(), st.text(max_size=8))
def test_a_section_allows_a_number_it_cannot_read_never(section: NumberSection, typed: str) -> None:
    try:
        digits = normalize_number(typed)
    except InvalidArgument:
        with pytest.raises(InvalidArgument):
            section.allows(typed)
        with pytest.raises(InvalidArgument):
            section.decide(typed)
    else:
        assert section.allows(typed) is section.allows(digits)

"""The condition language: a table of expressions and results, and a table of bad expressions."""

import pytest

from programs.conditions import (
    ConditionError,
    attribute_names,
    compile_condition,
    condition_applies,
    evaluate,
    validate_condition,
)

MALL = {
    "store_format": "mall",
    "ceiling_height_m": 4.5,
    "floors": 2,
    "has_basement": False,
    "region": "NE",
    "is_franchise": False,
    "lanes": 12,
    "closet": None,
}
STRIP = {"store_format": "strip", "ceiling_height_m": 3, "floors": 1, "has_basement": True, "region": "SW"}

GOOD = [
    # (expression, attributes, expected)
    ('store_format = "mall" and ceiling_height_m > 4', MALL, True),
    ('store_format = "mall" and ceiling_height_m > 4', STRIP, False),
    ("floors >= 2 or has_basement", MALL, True),
    ("floors >= 2 or has_basement", STRIP, True),
    ("floors >= 2 or has_basement", {"floors": 1, "has_basement": False}, False),
    ('region in ("NE", "SE")', MALL, True),
    ('region in ("NE", "SE")', STRIP, False),
    ('region not in ("NE", "SE")', STRIP, True),
    ("not is_franchise", MALL, True),
    ("not is_franchise", {"is_franchise": True}, False),
    # operators
    ("floors = 2", MALL, True),
    ("floors == 2", MALL, True),
    ("floors != 2", MALL, False),
    ("floors < 3", MALL, True),
    ("floors <= 2", MALL, True),
    ("floors > 2", MALL, False),
    ("3 > floors", MALL, True),
    ("ceiling_height_m >= 4.5", MALL, True),
    ("ceiling_height_m = 4.5", MALL, True),
    ("ceiling_height_m > .5e1", MALL, False),
    ("lanes > -1", MALL, True),
    ('store_format < "n"', MALL, True),  # text is ordered alphabetically
    # precedence: not > and > or, and parentheses
    ('store_format = "strip" or floors = 2 and region = "NE"', MALL, True),
    ('(store_format = "strip" or floors = 2) and region = "SW"', MALL, False),
    ("not has_basement and floors = 2", MALL, True),
    ("not (has_basement or floors = 2)", MALL, False),
    ("not not is_franchise", MALL, False),
    # keywords and booleans
    ("has_basement = false", MALL, True),
    ("has_basement != true", MALL, True),
    ("HAS_BASEMENT", {"HAS_BASEMENT": True}, True),
    ("has_basement AND floors = 2 OR NOT is_franchise", MALL, True),
    ("true", {}, True),
    ("false or true", {}, True),
    # text literals
    ("store_format = 'mall'", MALL, True),
    ('store_format = "Mall"', MALL, False),  # case matters
    ('note = "say \\"hi\\""', {"note": 'say "hi"'}, True),
    ('region in ("NE", "SE",)', MALL, True),  # trailing comma
    # missing attributes: every comparison with one is false, != and not in included
    ("closet_location = 1", MALL, False),
    ('closet_location != "back"', MALL, False),
    ('closet_location in ("back")', MALL, False),
    ('closet_location not in ("back")', MALL, False),
    ('not closet_location = "back"', MALL, True),
    ("closet = 1 or closet != 1", MALL, False),  # null is missing
    ("closet_location", MALL, False),
    ("not closet_location", MALL, True),
    # different types: never equal, never ordered
    ('floors = "2"', MALL, False),
    ('floors != "2"', MALL, True),
    ('floors > "1"', MALL, False),
    ("region > 1", MALL, False),
    ("has_basement = 0", MALL, False),
    ("has_basement != 0", MALL, True),
    ('floors in ("2", 3)', MALL, False),
    ('floors not in ("2", 3)', MALL, True),
    # a bare attribute is true only when it is the boolean true
    ("lanes", MALL, False),
    ("region", MALL, False),
    # unreadable values count as missing
    ("tags = 1", {"tags": [1]}, False),
    ("tags != 1", {"tags": [1]}, False),
    ("height > 1", {"height": float("nan")}, False),
]


@pytest.mark.parametrize(("expression", "attributes", "expected"), GOOD)
def test_expressions_evaluate_as_documented(expression, attributes, expected):
    # given a valid expression
    ast = compile_condition(expression)
    # when it is evaluated over the attributes
    result = evaluate(ast, attributes)
    # then
    assert result is expected


BAD = [
    # (expression, message, column)
    ("", "The condition is empty.", None),
    ("   ", "The condition is empty.", None),
    ("a <", "Expected a value after “<”, found the end of the condition (column 4).", 4),
    ("a = ", "Expected a value after “=”, found the end of the condition (column 5).", 5),
    ("(a = 1", "The “(” at column 1 is never closed with “)” (column 7).", 7),
    ("a = 1)", "This “)” has no matching “(” (column 6).", 6),
    ("a = 1 b = 2", "Expected “and”, “or” or the end of the condition, found the attribute name “b” (column 7).", 7),
    ("a < b < c", "Comparisons cannot be chained: join them with “and” (e.g. a > 1 and a < 5) (column 7).", 7),
    ("a = 1 && b = 2", "Unexpected character “&”: use “and” instead of “&” (column 7).", 7),
    ("a = 1 || b = 2", "Unexpected character “|”: use “or” instead of “|” (column 7).", 7),
    ("!a", "Unexpected character “!”: use “not” or “!=” (column 1).", 1),
    (
        'region in ["NE"]',
        'Unexpected character “[”: lists are written with parentheses: in ("a", "b") (column 11).',
        11,
    ),
    ('region in "NE"', 'Expected “(” after “in”, found the text "NE" (column 11).', 11),
    ("region in ()", "The list after “in” is empty (column 12).", 12),
    ('region in ("NE"', "The list opened at column 11 is never closed with “)” (column 16).", 16),
    ('region in ("NE" "SE")', 'Expected “,” or “)” in the list, found the text "SE" (column 17).', 17),
    ("region in (other)", "A list after “in” holds values only, not attribute names (column 12).", 12),
    ('a = "open', 'The text starting with " is not closed with a matching " (column 5).', 5),
    ('a = "bad \\q"', "Unknown escape “\\q” in text (column 10).", 10),
    ("a = 4x", "“4x…” is neither a number nor an attribute name (column 5).", 5),
    ('"mall"', "A text or number on its own is not a condition: compare it with an attribute (column 1).", 1),
    ("42", "A text or number on its own is not a condition: compare it with an attribute (column 1).", 1),
    ("flag > true", "“>” cannot compare true/false; use = or != (column 6).", 6),
    ("and a", "Expected an attribute name, a value, “not” or “(”, found “and” (column 1).", 1),
    ("a = 1 and", "Expected an attribute name, a value, “not” or “(”, found the end of the condition (column 10).", 10),
    ("a = -x", "Expected a number after “-”, found the attribute name “x” (column 6).", 6),
    ("a = $1", "Unexpected character “$” (column 5).", 5),
    ("not", "Expected an attribute name, a value, “not” or “(”, found the end of the condition (column 4).", 4),
    ("a not b", "Expected “and”, “or” or the end of the condition, found “not” (column 3).", 3),
    ("(" * 40 + "a" + ")" * 40, "The condition nests deeper than 32 levels (column 33).", 33),
    ("a = 1 or " * 300 + "a = 1", "The condition is longer than 2000 characters.", None),
]


@pytest.mark.parametrize(("expression", "message", "column"), BAD)
def test_bad_expressions_are_refused_with_the_column(expression, message, column):
    # given a malformed expression
    # when it is compiled
    with pytest.raises(ConditionError) as caught:
        compile_condition(expression)
    # then the error says what and where, with the stable code and field
    assert caught.value.message == message
    assert caught.value.column == column
    assert caught.value.code == "invalid_condition"
    assert caught.value.field == "condition"


def test_a_blank_condition_always_applies():
    # given no condition
    # when / then
    assert condition_applies("", {}) is True
    assert condition_applies(None, {"a": 1}) is True
    assert validate_condition("  ") == ""
    assert condition_applies("a = 1", {"a": 1}) is True


def test_attribute_names_lists_what_a_condition_reads():
    # given a condition over several attributes
    ast = compile_condition('store_format = "mall" and (floors > 1 or not has_basement) and region in ("NE")')
    # when / then
    assert attribute_names(ast) == {"store_format", "floors", "has_basement", "region"}


def test_evaluation_never_reaches_python_objects():
    # given an expression that would be dangerous in Python
    # when / then it is simply not part of the language
    with pytest.raises(ConditionError):
        compile_condition("__import__('os').system('true')")
    with pytest.raises(ConditionError):
        compile_condition("a.__class__ = 1")

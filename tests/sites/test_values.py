"""The value rules shared by the API, the importer and the export: a table of inputs and results."""

from decimal import Decimal

import pytest

from sites.attributes import AttributeSchema
from sites.values import (
    SiteValueError,
    clean_access_hours,
    clean_attributes,
    clean_blackout_dates,
    clean_coordinate,
    clean_timezone,
    format_access_hours,
    infer_attribute,
    parse_access_hours,
    parse_attribute,
    parse_blackout_dates,
    timezone_for_coordinates,
)

WEEKDAYS_6_22 = {day: ["06:00-22:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon-fri 06:00-22:00; sat 08:00-20:00", {**WEEKDAYS_6_22, "sat": ["08:00-20:00"]}),
        ("MON-FRI 6:00-22:00", WEEKDAYS_6_22),
        ("daily 00:00-24:00", {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}),
        (
            "mon,wed 08:00-12:00,13:00-17:00",
            {"mon": ["08:00-12:00", "13:00-17:00"], "wed": ["08:00-12:00", "13:00-17:00"]},
        ),
        ("fri-mon 22:00-06:00", {day: ["22:00-06:00"] for day in ("mon", "fri", "sat", "sun")}),
        ("sat 18:00-00:00", {"sat": ["18:00-24:00"]}),
        ("mon 06:00 - 10:00; sun closed", {"mon": ["06:00-10:00"], "sun": []}),
        ("mon 12:00-14:00; mon 06:00-10:00", {"mon": ["06:00-10:00", "12:00-14:00"]}),
        ("", {}),
    ],
)
def test_access_hours_text_is_read(text, expected):
    assert parse_access_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon-fri 6am-10pm", "is not a time window"),
        ("mon 25:00-26:00", "is not a time of day"),
        ("mon 10:00-10:00", "starts and ends at the same time"),
        ("mon 08:00-12:00,11:00-14:00", "Windows overlap on Monday"),
        ("funday 08:00-12:00", "“funday” is not a day"),
        ("08:00-12:00", "is not an access-hours entry"),
        ("mon 24:00-02:00", "is not a time of day"),
    ],
)
def test_bad_access_hours_are_refused_with_a_plain_message(text, message):
    with pytest.raises(SiteValueError) as refused:
        parse_access_hours(text)
    assert message in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        "mon-fri 06:00-22:00; sat 08:00-20:00",
        "mon 06:00-10:00,12:00-14:00; wed-thu 22:00-06:00; sun closed",
        "daily 00:00-24:00",
        "mon 08:00-12:00; wed 08:00-12:00",
    ],
)
def test_access_hours_round_trip_through_the_text_form(text):
    hours = parse_access_hours(text)
    assert parse_access_hours(format_access_hours(hours)) == hours


def test_access_hours_from_the_api_are_validated_and_normalized():
    assert clean_access_hours({"tue": ["13:00-17:00", "6:00-10:00"]}) == {"tue": ["06:00-10:00", "13:00-17:00"]}
    assert clean_access_hours("mon 06:00-10:00") == {"mon": ["06:00-10:00"]}
    with pytest.raises(SiteValueError):
        clean_access_hours({"monday": ["06:00-10:00"]})
    with pytest.raises(SiteValueError):
        clean_access_hours({"mon": "06:00-10:00"})


def test_blackout_dates_are_sorted_without_duplicates_and_checked():
    assert parse_blackout_dates("2026-12-25;2026-12-24, 2026-12-25") == ["2026-12-24", "2026-12-25"]
    assert clean_blackout_dates([]) == []
    for bad in ("2026-02-30", "12/25/2026", "20261225"):
        with pytest.raises(SiteValueError):
            parse_blackout_dates(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("FALSE", False),
        ("42", 42),
        ("-7", -7),
        ("4.5", 4.5),
        ("0.25", 0.25),
        ("00123", "00123"),
        ("1e5", "1e5"),
        ("mall", "mall"),
        ("yes", "yes"),
    ],
)
def test_attribute_inference(text, expected):
    value = infer_attribute(text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(
    ("text", "type_", "expected"),
    [
        ("00123", "int", 123),
        ("4", "float", 4.0),
        ("yes", "bool", True),
        ("0", "bool", False),
        ("42", "str", "42"),
    ],
)
def test_typed_attributes(text, type_, expected):
    value = parse_attribute(text, type_)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize(("text", "type_"), [("two", "int"), ("4,5", "float"), ("maybe", "bool")])
def test_wrong_attribute_types_are_refused(text, type_):
    with pytest.raises(SiteValueError):
        parse_attribute(text, type_)


def test_attribute_objects_from_the_api():
    assert clean_attributes({"floors": 2, "open": True, "h": 4.5, "format": "mall"}) == {
        "floors": 2,
        "open": True,
        "h": 4.5,
        "format": "mall",
    }
    for bad in ({"Bad Name": 1}, {"ok": [1, 2]}, {"ok": {"nested": 1}}, {"ok": None}, ["not", "an", "object"]):
        with pytest.raises(SiteValueError):
            clean_attributes(bad)


def test_coordinates_and_time_zones():
    assert clean_coordinate("41.87811234", "latitude") == Decimal("41.878112")
    with pytest.raises(SiteValueError):
        clean_coordinate("-91", "latitude")
    with pytest.raises(SiteValueError):
        clean_coordinate("181", "longitude")
    with pytest.raises(SiteValueError):
        clean_coordinate("NaN", "longitude")
    assert clean_timezone("america/chicago") == "America/Chicago"
    with pytest.raises(SiteValueError):
        clean_timezone("Chicago")
    assert timezone_for_coordinates(Decimal("41.8781"), Decimal("-87.6298")) == "America/Chicago"
    assert timezone_for_coordinates(51.5074, -0.1278) == "Europe/London"


def test_an_attribute_schema_checks_types_allowed_values_and_required_names():
    schema = AttributeSchema.from_json(
        [
            {"name": "store_format", "type": "str", "required": True, "allowed": ["mall", "street"]},
            {"name": "ceiling_height_m", "type": "float"},
        ]
    )
    assert schema.problems({"store_format": "mall", "ceiling_height_m": 4}) == []  # an int is a fine float
    assert [name for name, _message in schema.problems({"ceiling_height_m": "high"})] == [
        "store_format",
        "ceiling_height_m",
    ]
    assert "use one of mall, street" in schema.problems({"store_format": "kiosk"})[0][1]
    assert AttributeSchema.from_json(schema.to_json()) == schema
    assert AttributeSchema.from_json(None) is None

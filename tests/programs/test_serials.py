"""A serial rule reads as an example (programs.serials), the same one the phone shows (visit-state.js)."""

import re

import pytest

from programs.serials import serial_example


@pytest.mark.parametrize(
    ("pattern", "example"),
    [
        ("^SCO-[0-9]{6}$", "SCO-123456"),
        ("^AP[0-9A-F]{10}$", "AP1234567890"),
        (r"^\d{4}-[A-Z]{2}$", "1234-AB"),
        ("^(AB|CD)[0-9]+$", "AB1"),
        ("SN[0-9A-Z]{8}", "SN12345678"),
    ],
)
def test_a_rule_reads_as_a_serial_that_matches_it(pattern, example):
    assert serial_example(pattern) == example
    assert re.fullmatch(pattern, example)


@pytest.mark.parametrize("pattern", [None, "", "[", "(?=x)y"])
def test_no_example_rather_than_a_wrong_one(pattern):
    assert serial_example(pattern) == ""

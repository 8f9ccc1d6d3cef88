"""Reading a link's state: every control's value, checked as the library checks it, else the default."""

from __future__ import annotations

import dataclasses

from digitgen.app.links import FIELDS, PageState, from_query


def test_a_full_link_reads_back_every_control():
    query = {"tab": "morph", "digit": "3", "seed": "99", "neatness": "0.35000000000000003", "text": "12 34",
             "morph_digit": "2", "seed_to": "2147483647", "frames": "32", "thickness": "-1", "slant": "0.45",
             "width": "1.0", "morph_to": "digit", "digit_to": "8", "__theme": "dark"}  # fmt: skip
    state, note = from_query(query)
    assert note == ""
    assert state == PageState(
        "morph", 3, 99, 0.35000000000000003, "12 34", 2, 2147483647, 32, -1.0, 0.45, 1.0, "digit", 8
    )
    assert state.neatness != 0.35  # the slider's exact number, so the link redraws the same bits
    assert [field.name for field in dataclasses.fields(PageState)] == FIELDS  # the order the page's scripts use


def test_no_link_is_the_default_page():
    assert from_query({}) == (PageState(), "")


def test_each_bad_value_falls_back_to_its_default_and_is_named_in_the_note():
    junk = {"tab": "nowhere", "digit": "eleven", "seed": "-4", "neatness": "0.33", "text": "abc", "frames": "99",
            "morph_digit": "3.5", "seed_to": "1" * 60, "thickness": "3", "slant": "nan", "width": "0.33",
            "morph_to": "cat", "digit_to": "10"}  # fmt: skip
    state, note = from_query(junk)
    assert state == PageState()
    assert note.startswith("⚠️ This link had values the app cannot use.")
    shown_values = ("tab=nowhere", "digit=eleven", "seed=-4", "neatness=0.33", "text=abc", "frames=99", "3.5",
                    "thickness=3", "slant=nan", "width=0.33", "morph_to=cat", "digit_to=10")  # fmt: skip
    for shown in shown_values:
        assert f"`{shown}" in note or shown in note
    assert "thickness must be a number from -1 to 1" in note and "a morph goes to another hand or digit" in note
    assert "1" * 41 not in note  # a long value is cut short
    assert "showing 42 instead" in note and "steps of 0.05" in note


def test_good_values_are_kept_beside_bad_ones():
    state, note = from_query({"digit": "3", "seed": "nan"})
    assert (state.digit, state.seed) == (3, 42) and "seed=nan" in note and "digit=" not in note

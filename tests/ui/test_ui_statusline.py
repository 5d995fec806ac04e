"""`fit`: a status line never cuts a field; details give way before the core fields shorten."""

from __future__ import annotations

from kneadback.ui.statusline import Field, fit

CUE = Field("» Press a little firmer.", "» FIRMER", "near", core=True)
BOUT = Field("bout 0:12, 0:18 left", "0:18 left", "on", core=True)
RATE = Field("rate 46/min SLOW (50-70)", "46/min SLOW", "off", core=True)
TODAY = Field("done today 2 of 3-10 on left calf", "today 2 of 3-10")
COUNTS = Field("samples 2400  lost 0  errors 0")
LINE = [CUE, BOUT, RATE, TODAY, COUNTS]


def texts(width: float) -> list[str]:
    return [text for _, text in fit(LINE, width)]


def test_everything_in_full_when_it_fits():
    assert texts(200) == [f.text for f in LINE]


def test_details_give_way_before_a_core_field_shortens():
    assert texts(len(" | ".join([CUE.text, BOUT.text, RATE.text]))) == [CUE.text, BOUT.text, RATE.text]


def test_short_texts_from_the_least_important_then_core_fields_go_from_the_end():
    assert texts(92) == [CUE.text, BOUT.text, RATE.text, TODAY.short]  # room for a detail, shortened
    assert texts(61) == [CUE.text, BOUT.text, RATE.short]
    assert texts(60) == [CUE.text, BOUT.short, RATE.short]
    assert texts(30) == [CUE.short, BOUT.short]
    assert texts(8) == [CUE.short]
    assert texts(5) == []


def test_a_core_field_that_went_comes_back_where_a_shorter_one_would_not_fit():
    wide_first = [Field("x" * 20, core=True), Field("y" * 30, core=True), Field("z" * 5, core=True)]
    assert [t for _, t in fit(wide_first, 40)] == ["x" * 20, "z" * 5]


def test_widths_can_be_measured_in_anything():
    assert [t for _, t in fit(LINE, 400, measure=lambda t: 10 * len(t))] == [CUE.short, BOUT.short, RATE.short]

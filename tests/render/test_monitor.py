"""Formatting of monitoring results: escaping for markdown and HTML, JSON numbers."""

from __future__ import annotations

import math

import pytest

from mlgate.monitor.histogram import Histogram
from mlgate.render.monitor_html import chart, e
from mlgate.render.monitor_json import number
from mlgate.render.monitor_md import md


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("AGEP", "AGEP"),
        ("a|b", "a\\|b"),
        ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
        ("**bold** _it_ `code` [link](http://x)",
         "\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\[link\\]\\(http\u200b://x\\)"),
        ("@org/team <img src=x> ![i](https://evil) www.evil.com #12",
         "@\u200borg/team &lt;img src=x&gt; \\!\\[i\\]\\(https\u200b://evil\\) "
         "www\u200b.evil.com \\#\u200b12"),
        ("# heading ~strike~", "\\# heading \\~strike\\~"),
        ("two\nlines", "two lines"),
        ("&amp;", "&amp;amp;"),
        ("monitoring/reference-profile.json", "monitoring/reference-profile.json"),
        ("data.train_years", "data.train\\_years"),  # a dotted name is no link
        ("data:text/html,x", "data\u200b:text/html,x"),
    ],
)
def test_markdown_escaping(text: str, markdown: str) -> None:
    assert md(text) == markdown


def test_html_escaping() -> None:
    assert e('<a href="x">\'') == "&lt;a href=&quot;x&quot;&gt;&#x27;"


@pytest.mark.parametrize(
    ("value", "written"),
    [(None, None), (math.nan, None), (math.inf, "inf"), (-math.inf, "-inf"), (0.25, 0.25)],
)
def test_json_numbers(value: float | None, written: float | str | None) -> None:
    assert number(value) == written


def test_chart_escapes_labels_and_draws_two_bars_per_bin() -> None:
    svg = chart(Histogram("c<1>", "categorical", ("<b>", "ok"), (0.5, 0.5), (0.2, 0.8),
                          (True, False)))
    assert "<b>" not in svg and "&lt;b&gt;*" in svg
    assert svg.count("<rect") == 4
    assert 'aria-label="c&lt;1&gt;: reference and current distribution"' in svg

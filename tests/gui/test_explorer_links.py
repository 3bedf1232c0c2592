"""The weight links of the rendered formulas: plain strings, no window needed."""

from __future__ import annotations

from engine import BiasRef, WeightRef
from gui.explorer.render import parse_link, weight_link


def test_weight_links_name_weights_and_biases_and_nothing_else():
    for ref in (WeightRef(7, 3, 0), BiasRef(2, 5)):
        assert parse_link(weight_link(ref)) == ref
    for link in ("", "https://example.org", "W:7", "W:x:1:2", "Q:1:2"):
        assert parse_link(link) is None

"""The explorer's typesetting of the engine's plain notation: plain strings, no window needed."""

from __future__ import annotations

from gui.explorer.render import typeset


def test_the_notes_formulas_get_their_sub_and_superscripts():
    assert typeset("(−1/h2²) · e^h1 · 2x") == "(−1/h<sub>2</sub><sup>2</sup>) · e<sup>h₁</sup> · 2x"
    assert typeset("∂a_j/∂w") == "∂a<sub>j</sub>/∂w"
    assert typeset("e^(a_y)") == "e<sup>(a<sub>y</sub>)</sup>"
    assert typeset("cos a_h1") == "cos a<sub>h₁</sub>"


def test_names_and_markup_characters_are_left_as_they_read():
    assert typeset("w[h2[0] → out]") == "w[h2[0] → out]"  # a neuron's name is no formula
    assert typeset("f'(u) < 1 & 2x") == "f'(u) &lt; 1 &amp; 2x"  # no entity is mangled into a subscript

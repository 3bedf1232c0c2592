"""The Chain rule dock reads in a narrow dock and on any palette: the notes' two-path and scalar-chain examples in the
real window, the dock floated at 360 pixels wide (as beside a 1280-pixel canvas).

Expected numbers come from the engine's finite differences (`gradient_check`) and from the factors the dock itself
shows, multiplied here: what the reader sees must add up as the reader would add it up.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from coloraide import Color
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QApplication
from test_dark_palette import AA, contrast, dark_palette, in_window, pixels, themed_window  # noqa: F401 (a fixture)
from test_explorer_support import WAIT, flat, open_explorer, plain, samples_table, wait_for

from engine import WeightRef, gradient_check
from engine.explain.text import number
from engine.project import open_example
from engine.studio import Selection
from gui.colors import INK_ON_DARK, INK_ON_LIGHT
from gui.explorer.install import RUNNING_NOTE

NARROW = 360
SHOWN = 5e-4  # the samples table's numbers have 4 significant digits: each is within this of its own size


def two_paths(qtbot, window, *, width: int = NARROW, batch_mean: bool = False):
    """The notes' two-path example, the dock floated at `width`, explaining in[0] → h1[0]."""
    ui = open_explorer(qtbot, window, open_example("Two paths (notes)"), batch_mean=batch_mean)
    ui.dock.setFloating(True)
    ui.dock.resize(width, 1000)
    net = window.network
    conn = net.find_connection(net.layer_by_name("in").id, net.layer_by_name("h1").id)
    ref = WeightRef(conn.id, 0, 0)
    window.document.select(Selection(weights=(ref,)))
    return ui, ref


def test_a_narrow_dock_wraps_each_paths_whole_chain_of_factors(qtbot, window):
    ui, ref = two_paths(qtbot, window)
    e = wait_for(qtbot, ui, ref, sample=0)
    panel, paths = ui.panel, ui.panel.paths
    qtbot.waitUntil(lambda: ui.dock.width() == NARROW, timeout=WAIT)
    assert panel.content.horizontalScrollBar().maximum() == 0  # nothing wider than the dock
    for label in (panel.heading, panel.local, panel.paths_caption, panel.update_label):
        assert label.width() <= panel.content.viewport().width()
    width = paths.columnWidth(1)
    assert paths.columnWidth(0) + width <= paths.viewport().width() < NARROW
    assert len(e.paths.paths) == 2
    for k, path in enumerate(e.paths.paths):
        item = paths.topLevelItem(k)
        text = plain(item.text(1))
        chain = " · ".join(f"{q.symbol.split(' = ')[-1]} {number(q.value, 4)}" for q in path.factors)
        assert text == f"{k + 1}. {path.name}\n{chain}" and "…" not in text  # every factor, in the chain's order
        doc = QTextDocument()
        doc.setDocumentMargin(0)  # the text alone
        doc.setDefaultFont(paths.font())
        doc.setHtml(item.text(1))
        assert doc.idealWidth() > width  # on one line the chain would not fit: it must wrap
        doc.setTextWidth(width)
        assert doc.idealWidth() <= width  # wrapped, it does, between factors
        assert paths.visualItemRect(item).height() >= doc.size().height() - 1  # and its row shows every line
        assert paths.visualItemRect(item).bottom() <= paths.viewport().height()  # both rows in view, no scrolling



def test_each_rows_rich_text_is_laid_out_once_for_its_width_however_often_qt_asks(qtbot, window):
    """Qt asks a row's size several times and then paints it; a 10⁶-path weight's 50 rows laid out anew each time
    made the turn that shows the explanation long. One document per row and width, kept until the next paths."""
    ui, ref = two_paths(qtbot, window)
    wait_for(qtbot, ui, ref, sample=0)
    paths = ui.panel.paths
    qtbot.waitUntil(lambda: ui.dock.width() == NARROW, timeout=WAIT)
    paths.grab()  # sizes and paints every row
    kept = dict(paths._rich.documents)
    rows = {paths.topLevelItem(k).text(1) for k in range(paths.topLevelItemCount())}
    assert {html for html, width, _ in kept if width == paths.columnWidth(1)} == rows
    paths.fit()
    paths.grab()
    assert paths._rich.documents.keys() == kept.keys()
    assert all(paths._rich.documents[key] is doc for key, doc in kept.items())

def test_the_scalar_chain_reads_like_the_notes_in_a_narrow_dock(qtbot, window):
    ui = open_explorer(qtbot, window, open_example("Scalar chain (notes)"))
    ui.dock.setFloating(True)
    ui.dock.resize(NARROW, 800)
    panel = ui.panel
    panel.output_mode.setChecked(True)
    window.document.select(Selection(neurons=((window.network.layer_by_name("x").id, 0),)))
    qtbot.waitUntil(lambda: panel.stack.currentWidget() is panel.output_page and not ui.pending, timeout=WAIT)
    qtbot.waitUntil(lambda: ui.dock.width() == NARROW, timeout=WAIT)
    assert "(−1/h<sub>2</sub><sup>2</sup>) · e<sup>h₁</sup> · 2x = " in panel.output_text.text()
    assert panel.output_page.horizontalScrollBar().maximum() == 0
    assert panel.output_text.width() <= panel.output_page.viewport().width()


def test_one_sample_by_default_whose_shown_factors_multiply_to_the_shown_gradient(qtbot, window):
    ui, ref = two_paths(qtbot, window)
    e = wait_for(qtbot, ui, ref, sample=0)
    assert ui.panel.samples.currentIndex() == 1 and ui.panel.sample() == 0
    local = flat(ui.panel.local)
    h = float(re.search(r"hi = h\[in\[0\]\] = (\S+)", local)[1])
    f_prime = float(re.search(r"f′\(aj\) (\S+)", local)[1])
    terms = [float(v) for v in re.findall(r"k wjk δk w·δ h2\[0\] \S+ \S+ (\S+) h2\[1\] \S+ \S+ (\S+)", local)[0]]
    delta = float(re.search(r"δj = (\S+) ∂L/∂w", local)[1])
    gradient = float(re.search(r"∂L/∂w = h · δ = (\S+)", local)[1])
    assert len(terms) == 2 and f_prime * sum(terms) == pytest.approx(delta, rel=2e-6)
    assert h * delta == pytest.approx(gradient, rel=2e-6)
    assert gradient == pytest.approx(e.gradient, rel=1e-8)


def test_the_batch_mean_is_a_table_of_samples_whose_products_average_to_the_gradient(qtbot, window):
    ui, ref = two_paths(qtbot, window, batch_mean=True)
    e = wait_for(qtbot, ui, ref)
    table = ui.panel.batch_table
    qtbot.waitUntil(lambda: ui.dock.width() == NARROW, timeout=WAIT)
    assert table.horizontalScrollBar().maximum() == 0 and table.verticalScrollBar().maximum() == 0  # all in view
    header, *rows, mean = samples_table(table)
    assert header == ["n", "hᵢ", "f′(aⱼ)", "Σ wⱼₖδₖ", "δⱼ", "hᵢ·δⱼ"]
    assert [int(row[0]) for row in rows] == list(range(e.n_samples)) and e.n_samples == 16
    products = []
    for _, h, f_prime, terms, delta, product in (map(float, row) for row in rows):
        assert f_prime * terms == pytest.approx(delta, rel=3 * SHOWN)  # δ_j = f′(a_j) · Σ_k w_jk δ_k, as shown
        assert h * delta == pytest.approx(product, rel=3 * SHOWN)
        products.append(product)
    assert mean[:-2] == ["mean", "", "", ""] and mean[-1] == ""  # the gradient spans the last two columns
    shown = float(mean[-2])
    assert abs(np.mean(products) - shown) <= SHOWN * max(map(abs, products))  # the products visibly average to it
    trainer = window.document.trainer()
    x, t = trainer.last_batch()
    numeric = gradient_check(window.network, x, t, trainer.settings.loss, [ref])[0].numeric
    assert shown == pytest.approx(numeric, rel=1e-6)  # the gradient training uses


def test_every_explorer_text_and_colour_reads_on_light_and_dark_palettes(themed_window, qtbot):  # noqa: F811
    ui, ref = two_paths(qtbot, themed_window, width=420, batch_mean=True)
    wait_for(qtbot, ui, ref)
    ui.check()  # a coloured verdict
    ui.panel.show_notice(RUNNING_NOTE)
    panel, dock = ui.panel, ui.dock
    dock.resize(420, 2400)  # everything in view at once
    QApplication.processEvents()
    image = dock.grab().toImage()
    labels = [panel.notice, panel.heading, panel.check_label, panel.local, panel.paths_caption, panel.update_label]
    poor = {}
    for label in labels:
        assert label.isVisible() and label.text()
        rect = in_window(dock, label)
        name = label.text()[:30]
        if (ratio := contrast(image, rect)) < AA:
            poor[name] = ratio
        colours, counts = np.unique(pixels(image, rect), axis=0, return_counts=True)
        background = Color("srgb", list(colours[counts.argmax()] / 255))
        for colour in set(re.findall(r"color:\s*(#[0-9a-fA-F]{6})", label.text())):
            if (ratio := background.contrast(Color(colour), method="wcag21")) < AA:
                poor[f"{colour} in {name}"] = ratio
    base = Color(panel.paths.palette().base().color().name())
    table = panel.batch_table
    cells = [(f"path row {k}'s contribution", panel.paths.topLevelItem(k).data(0, Qt.ItemDataRole.ForegroundRole))
             for k in range(panel.paths.topLevelItemCount())]
    cells += [(f"samples table cell ({r}, {c})", item.foreground()) for r in range(table.rowCount())
              for c in range(table.columnCount()) if (item := table.item(r, c)) is not None]
    assert len(cells) == 3 + 16 * 6 + 2
    for name, brush in cells:
        if brush is None or brush.style() == Qt.BrushStyle.NoBrush:
            continue  # the palette's text colour
        if (ratio := base.contrast(Color(colour := brush.color().name()), method="wcag21")) < AA:
            poor[f"{name} {colour}"] = ratio
    assert not poor, f"hard to read (WCAG contrast < {AA}): {poor}"


def test_a_palette_change_recolours_what_is_shown(qtbot, window):
    ui, ref = two_paths(qtbot, window)
    wait_for(qtbot, ui, ref, sample=0)
    panel, app = ui.panel, QApplication.instance()
    before = app.palette()
    assert INK_ON_LIGHT.positive in panel.heading.text()
    try:
        app.setPalette(dark_palette())
        qtbot.waitUntil(lambda: INK_ON_DARK.positive in panel.heading.text(), timeout=WAIT)
        shown = panel.heading.text() + panel.local.text() + panel.update_label.text()
        assert not any(colour in shown for colour in (INK_ON_LIGHT.positive, INK_ON_LIGHT.muted))
        assert panel.paths.topLevelItem(0).foreground(0).color().name() == INK_ON_DARK.positive
    finally:
        app.setPalette(before)


def test_a_rich_label_remembers_its_height_per_width_only_until_its_text_or_font_changes(qtbot):
    from PySide6.QtWidgets import QLabel

    from gui.explorer.panel import RichLabel

    def fresh(text: str, font=None) -> QLabel:
        label = QLabel(text, wordWrap=True)
        if font is not None:
            label.setFont(font)
        return label

    rows = "".join(f"<tr><td>row {k}</td><td>{'wide words ' * 4}</td></tr>" for k in range(12))
    table = f"<table>{rows}</table>"
    label = RichLabel(table)
    qtbot.addWidget(label)
    for width in (120, 300, 120):
        assert label.heightForWidth(width) == fresh(table).heightForWidth(width)
    label.setText("short")
    assert label.heightForWidth(120) == fresh("short").heightForWidth(120) < fresh(table).heightForWidth(120)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setText(table)
    before = label.heightForWidth(300)
    label.setFont(font)
    assert label.heightForWidth(300) == fresh(table, font).heightForWidth(300) > before

"""Every live plot reads well at any dock size: legends off the data, tick labels apart, the stacked watched-weight
plots sharing their room fairly, and the exact point under the mouse read out on every curve.

The views are the app's own widgets, fed known arrays, shown offscreen and resized like a dock.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from plotcheck import legend_clear_of_data, overlapping, pixel_of, tick_label_rects
from PySide6.QtWidgets import QApplication, QWidget
from test_explorer_support import hover as move

from engine import WeightRef
from engine.surface import GradientSlice, Surface
from gui.plots.boundary import BoundaryView
from gui.plots.colorbar import ColorBar
from gui.plots.connections import GradHistogramView, GradNormView
from gui.plots.gradients import WatchedWeightsView
from gui.plots.loss import LossView
from gui.surface.panel import SurfacePanel

STEPS = 100
rng = np.random.default_rng(17)
STEP = np.arange(1.0, STEPS + 1)
LOSS = 0.7 * np.exp(-STEP / 30) + 0.05 + 0.02 * rng.random(STEPS)
# History.epochs rows: epoch, step, train loss, train metric, validation loss, validation metric
EPOCHS = np.array([[e, 10.0 * e, 0.6 / e, 0.5 + 0.04 * e, 0.65 / e, 0.45 + 0.04 * e] for e in range(1, 11)])
WEIGHTS = [(WeightRef(7, i, 0), f"h1[{i}] → out[0]",
            np.column_stack([STEP, 0.3 * i - np.log(STEP) / 10, rng.normal(0, 1e-2, STEPS),
                             rng.normal(0, 1e-4, STEPS)]))
           for i in range(3)]
NORM_NAMES = ["W in → h1", "b h1", "W h1 → h2", "b h2", "W h2 → out", "b out"]
NORMS = np.column_stack([STEP, *(10.0 ** (-k) * (1 + rng.random(STEPS)) for k in range(len(NORM_NAMES)))])
GRADS = rng.normal(0, 1e-3, 300)
POINTS = rng.uniform(-1, 1, (60, 2))
ALONG = np.linspace(-2.0, 2.0, 21)


def loss_view() -> LossView:
    view = LossView()
    view.set_history(np.column_stack([STEP, LOSS]), EPOCHS, "accuracy")
    return view


def weights_view() -> WatchedWeightsView:
    view = WatchedWeightsView()
    view.set_series(WEIGHTS)
    return view


def norms_view() -> GradNormView:
    view = GradNormView()
    view.set_norms(NORM_NAMES, NORMS)
    return view


def histogram_view() -> GradHistogramView:
    view = GradHistogramView()
    view.set_gradients(GRADS)
    return view


def colour_bar() -> ColorBar:
    bar = ColorBar()
    bar.set_scale(8.7e-8, 3.1e-3, "magnitude")
    return bar


def boundary_view() -> BoundaryView:
    view = BoundaryView()
    view.set_points(POINTS, (POINTS[:, 0] > 0).astype(int))
    return view


def surface_panel() -> SurfacePanel:
    panel = SurfacePanel()
    surface = Surface(refs=(WeightRef(7, 0, 0),), names=("h1[0] → out[0]",), axes=(ALONG,), loss=0.3 + ALONG**2,
                      center=(0.0,), center_loss=0.3)
    t = np.linspace(-1.0, 3.0, 21)
    panel.show_line(surface, GradientSlice(t=t, loss=0.3 + (t - 1.2) ** 2 / 5, lr=0.1, grad_norm2=1.0), "")
    return panel


LONG = 150.0  # steps 150 ... 15,000: the step labels of a long run are wide ("10000")


def long_loss_view() -> LossView:
    view = LossView()
    view.set_history(np.column_stack([STEP * LONG, LOSS]), EPOCHS * [1, LONG, 1, 1, 1, 1], "accuracy")
    return view


def long_weights_view() -> WatchedWeightsView:
    view = WatchedWeightsView()
    view.set_series([(ref, name, rows * [LONG, 1, 1, 1]) for ref, name, rows in WEIGHTS])
    return view


def long_norms_view() -> GradNormView:
    view = GradNormView()
    view.set_norms(NORM_NAMES, NORMS * [LONG, *[1] * len(NORM_NAMES)])
    return view


VIEWS = [long_loss_view, long_weights_view, long_norms_view, histogram_view, colour_bar, boundary_view,
         surface_panel]


def shown(qtbot, make, width: int, height: int) -> QWidget:
    view = make()
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    settle()
    return view


def settle() -> None:
    for _ in range(3):  # pyqtgraph lays its items out on posted events, some of which post more
        QApplication.processEvents()


def plots_of(view: QWidget) -> list[pg.PlotWidget]:
    return [plot for plot in view.findChildren(pg.PlotWidget) if plot.isVisible()]


@pytest.mark.parametrize("size", [(240, 220), (480, 260), (900, 320), (1400, 420)])
@pytest.mark.parametrize("make", [loss_view, weights_view, norms_view])
def test_no_legend_covers_the_data_at_any_dock_size(qtbot, make, size):
    view = shown(qtbot, make, *size)
    legends = [plot.getPlotItem() for plot in plots_of(view) if plot.getPlotItem().legend is not None]
    assert legends
    for plot in legends:
        assert plot.legend.isVisible() and plot.legend.items
        legend_clear_of_data(plot)
        # and every entry can be read: the whole legend inside the plot's widget
        scene = plot.scene().sceneRect()
        rect = plot.legend.sceneBoundingRect()
        assert scene.contains(rect), f"legend {rect} cut off by the widget {scene} at {size}"


def test_the_legend_check_catches_a_legend_over_the_data(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.getPlotItem().addLegend(offset=(-10, 10))  # pyqtgraph's own: in the view box's top-right corner
    plot.plot(STEP, LOSS[::-1], name="rising loss")  # which the data reach
    plot.resize(400, 300)
    plot.show()
    qtbot.waitExposed(plot)
    settle()
    with pytest.raises(AssertionError, match="covers data"):
        legend_clear_of_data(plot.getPlotItem())


@pytest.mark.parametrize("make", VIEWS)
def test_tick_labels_never_overlap_from_200_to_1200_pixels(qtbot, make):
    view = shown(qtbot, make, 200, 300)
    for width in range(200, 1201, 100):
        view.resize(width, 300)
        settle()
        for plot in plots_of(view):
            for name in ("left", "bottom"):
                axis = plot.getPlotItem().getAxis(name)
                if not axis.isVisible() or not axis.style["showValues"]:
                    continue
                rects = tick_label_rects(axis)
                assert rects, f"no {name} tick label at all at {width} px"
                assert not overlapping(rects), f"{name} tick labels overlap at {width} px: {overlapping(rects)}"


def test_ticks_are_as_many_as_fit_on_a_wide_axis(qtbot):
    view = shown(qtbot, loss_view, 1200, 300)
    assert len(tick_label_rects(view.loss_plot.getPlotItem().getAxis("bottom"))) >= 3


def hover(widget: pg.PlotWidget, x: float, y: float) -> str:
    """The read-out with the mouse on the pixel of data point (x, y)."""
    move(widget.viewport(), pixel_of(widget, x, y))
    settle()
    return widget.hover.text


def test_hovering_reads_the_exact_point_on_every_curve(qtbot):
    loss = shown(qtbot, loss_view, 760, 300)
    k = 33  # step 34: not the end of an epoch, so the batch curve's point is alone there
    assert hover(loss.loss_plot, STEP[k], LOSS[k]) == f"batch\nstep 34\nloss {LOSS[k]:.6g}"
    assert hover(loss.loss_plot, 50, EPOCHS[4, 4]) == f"validation (epoch)\nstep 50\nloss {EPOCHS[4, 4]:.6g}"
    assert hover(loss.metric_plot, 70, EPOCHS[6, 3]) == f"train\nstep 70\naccuracy {EPOCHS[6, 3]:.6g}"
    hover(loss.loss_plot, STEP[k], LOSS[k])
    move(loss.loss_plot.viewport(), pixel_of(loss.loss_plot, STEP[k], LOSS[k] + 10))  # far from every point: nothing
    settle()
    assert loss.loss_plot.hover.text == ""

    weights = shown(qtbot, weights_view, 700, 600)
    _, name, rows = WEIGHTS[1]
    for plot, column, quantity in zip(weights.plots, (1, 2, 3), ("w", "dL/dw", "Δw"), strict=True):
        assert hover(plot, rows[k, 0], rows[k, column]) == f"{name}\nstep 34\n{quantity} {rows[k, column]:.6g}"

    norms = shown(qtbot, norms_view, 700, 400)  # a log axis: the view holds log10, the label the value itself
    value = NORMS[k, 3]
    assert hover(norms.plot, STEP[k], np.log10(value)) == f"W h1 → h2\nstep 34\n‖dL/dW‖ {value:.6g}"

    histogram = shown(qtbot, histogram_view, 700, 400)
    b = int(np.argmax(histogram.counts))
    centre = (histogram.edges[b] + histogram.edges[b + 1]) / 2
    assert hover(histogram.plot, centre, histogram.counts[b]) == (
        f"log10 |dL/dw| {centre:.6g}\nweights {histogram.counts[b]}")

    boundary = shown(qtbot, boundary_view, 700, 400)
    x1, x2 = POINTS[5]
    assert hover(boundary.plot, x1, x2) == f"x1 {x1:.6g}\nx2 {x2:.6g}"

    surface = shown(qtbot, surface_panel, 800, 400)
    assert hover(surface.along, ALONG[4], 0.3 + ALONG[4] ** 2) == (
        f"h1[0] → out[0] {ALONG[4]:.6g}\nloss {0.3 + ALONG[4] ** 2:.6g}")


@pytest.mark.parametrize("size", [(600, 260), (600, 480), (320, 700)])
def test_the_watched_weight_plots_share_the_room_fairly(qtbot, size):
    view = shown(qtbot, weights_view, *size)
    settle()
    boxes = [plot.getPlotItem().getViewBox() for plot in view.plots]
    heights = [box.height() for box in boxes]
    assert min(heights) >= 0.9 * max(heights), f"plot areas {heights} at {size}"
    lefts = [plot.mapTo(view, plot.mapFromScene(box.sceneBoundingRect().topLeft())).x()
             for plot, box in zip(view.plots, boxes, strict=True)]
    assert max(lefts) - min(lefts) <= 1, f"the plots start at x = {lefts}: their steps do not line up"


"""Explorers of ``resnext_edu.widgets``: their numbers, their readouts, and that moving a control updates them.

The readouts must give the paper's Table 2 (Xie et al. 2017, arXiv 1611.05431) and
the trainable parameters of the README's reference counts; the explorers must build without a browser, and setting a
control's ``.value`` (what a reader's slider does) must change the readout's HTML. Only widget
classes that ipywidgets 7 (Colab) and 8 share are used. Agg backend; figures closed after each test.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from resnext_edu import complexity, readouts, widgets  # noqa: E402

# Paper Table 2: (C, d) -> conv2-block weights.
TABLE_2 = {(1, 64): 69_632, (2, 40): 69_760, (4, 24): 69_888, (8, 14): 71_456, (32, 4): 70_144}
SHARED_WIDGETS = {"SelectionSlider", "IntSlider", "Dropdown", "Checkbox", "Output", "HBox", "VBox", "HTML"}


def front_end_models(box):
    """The widget models a front end must know: every widget's class or the library base it extends."""
    return {
        next((c.__name__ for c in type(w).__mro__ if c.__name__ in SHARED_WIDGETS), type(w).__name__)
        for w in all_widgets(box)
    }


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def visible_text(html):
    """The HTML's text, tags removed, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def all_widgets(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from all_widgets(child)


# --- the numbers -------------------------------------------------------------------------------


def test_cardinality_readout_of_resnext_32x4d():
    r = widgets.cardinality_readout(32, 4, 256, 256)
    assert r["params"] == 70_144
    assert r["group_width"] == 128
    assert r["macs"] == 70_144 * 56 * 56  # a stride-1 block: every weight used at each of 56x56 positions
    assert r["reference_params"] == 69_632
    assert r["params_ratio"] == pytest.approx(70_144 / 69_632)
    assert r["equal_cost_width"] == 4


@pytest.mark.parametrize("c_d,weights", TABLE_2.items())
def test_cardinality_readout_gives_table_2(c_d, weights):
    c, d = c_d
    r = widgets.cardinality_readout(c, d)
    assert r["params"] == weights and r["equal_cost_width"] == d and r["group_width"] == c * d


def test_network_readout_of_resnext50():
    r = widgets.network_readout(50, 32, 4)
    assert r["params"] == 25_028_904
    assert r["resnet_params"] == 25_557_032
    assert round(r["macs"] / 1e9, 3) == 4.230 and round(r["resnet_macs"] / 1e9, 3) == 4.089
    assert r["params_ratio"] == pytest.approx(25_028_904 / 25_557_032)
    assert [s["stage"] for s in r["stages"]] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc"]
    assert sum(s["params"] for s in r["stages"]) == r["params"]
    assert sum(s["macs"] for s in r["stages"]) == r["macs"]
    assert r["name"] == "ResNeXt-50 (32×4d)"
    assert widgets.network_readout(101, 32, 4)["params"] == 44_177_704


def test_readouts_reject_bad_input_and_the_html_shows_the_message():
    with pytest.raises(ValueError, match="cardinality"):
        widgets.cardinality_readout(0, 4)
    with pytest.raises(ValueError, match="depth must be one of 50, 101, 152"):
        widgets.network_readout(34, 1, 64)
    assert "depth must be one of 50, 101, 152" in visible_text(widgets.network_readout_html(34, 1, 64))
    assert "bottleneck_width must be a whole number" in visible_text(widgets.cardinality_readout_html(4, 0))


def test_readout_html_shows_the_numbers():
    text = visible_text(widgets.cardinality_readout_html(32, 4))
    assert "32 × 4d" in text and "70,144" in text and "128" in text and "1.007×" in text and "220.0 M" in text
    text = visible_text(widgets.network_readout_html(50, 32, 4))
    assert "ResNeXt-50 (32×4d)" in text and "25,028,904" in text and "4.230 G" in text and "0.979×" in text


# --- the explorers -----------------------------------------------------------------------------


def test_cardinality_explorer_updates_when_the_slider_moves():
    box = widgets.cardinality_explorer()
    controls, readout, chart = box.children
    c, keep, d = controls.children
    assert (c.value, d.value, keep.value, d.disabled) == (32, 4, True, True)
    assert "70,144" in visible_text(readout.value)
    c.value = 8  # keep the cost: d follows Table 2's rule
    assert d.value == 14 and "71,456" in visible_text(readout.value) and "8 × 14d" in visible_text(readout.value)
    keep.value = False  # free width: the d slider sets d
    assert not d.disabled
    d.value = 20
    text = visible_text(readout.value)
    assert "8 × 20d" in text and f"{complexity.block_params(256, 256, 8, 20):,}" in text
    keep.value = True  # back to the equal-cost width
    assert d.value == 14 and d.disabled and "71,456" in visible_text(readout.value)
    assert front_end_models(box) <= SHARED_WIDGETS


def test_network_explorer_updates_when_controls_move():
    box = widgets.network_explorer()
    controls, readout, chart = box.children
    depth, c, d = controls.children
    assert "25,028,904" in visible_text(readout.value)
    depth.value = 101
    assert "44,177,704" in visible_text(readout.value)
    c.value, d.value = 1, 64
    assert "ResNet-101" in visible_text(readout.value) and "44,549,160" in visible_text(readout.value)
    assert "1.000×" in visible_text(readout.value)
    assert front_end_models(box) <= SHARED_WIDGETS


def test_network_explorer_shows_an_error_instead_of_raising(monkeypatch):
    box = widgets.network_explorer()
    controls, readout, _ = box.children

    def refuse(*args):
        raise ValueError("this combination is refused")

    monkeypatch.setattr(readouts, "network_readout", refuse)
    controls.children[1].value = 8
    assert "Cannot compute this combination: this combination is refused" in visible_text(readout.value)


def test_explorer_reprs_are_short_and_deterministic():
    """A notebook stores the repr as text/plain, which nbval compares: one line, no addresses, no PNG."""
    assert repr(widgets.cardinality_explorer()) == "cardinality explorer: C=32, d=4, keep the cost=True"
    assert repr(widgets.network_explorer()) == "network explorer: depth=50, C=32, d=4"


def test_static_figures_cover_the_whole_range():
    fig = widgets.cardinality_explorer_static()
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == list(range(1, 65))
    fig = widgets.network_explorer_static(50)
    heatmaps = [ax for ax in fig.axes if ax.images]
    assert len(heatmaps) == 2
    texts = [t.get_text() for t in heatmaps[0].texts]
    assert len(texts) == len(widgets.CARDINALITIES) * 8
    assert "25.6" in texts and "25.0" in texts  # ResNet-50 (1x64d) and ResNeXt-50 (32x4d), in M
    with pytest.raises(ValueError, match="depth"):
        widgets.network_explorer_static(34)


def test_importing_widgets_imports_no_ipywidgets_and_no_tensorflow():
    code = (
        "import sys, resnext_edu.widgets; "
        "print(sorted(m for m in ('ipywidgets', 'keras', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_network_readout_takes_numpy_integers():
    import numpy as np

    readout = widgets.network_readout(np.int64(50), np.int64(32), np.int32(4))
    assert readout == widgets.network_readout(50, 32, 4)
    assert type(readout["depth"]) is int and readout["params"] == 25_028_904


# --- ipywidgets 7 (Colab's) and 8 (the newest) -----------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
COLAB_IPYWIDGETS = re.search(r"^ipywidgets==(\S+)", (ROOT / "requirements-colab.txt").read_text(), re.M)[1]
ENVIRONMENTS = {
    "newest (.venv)": (sys.executable, "8."),
    f"Colab's (.venv-reader, ipywidgets {COLAB_IPYWIDGETS})": (str(ROOT / ".venv-reader" / "bin" / "python"), "7."),
}
EXPLORE = """
import json, re, ipywidgets
from resnext_edu import widgets

def text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())

def models(widget):
    yield widget._model_name
    for child in getattr(widget, "children", ()):
        yield from models(child)

seen = {"ipywidgets": ipywidgets.__version__, "readouts": [], "charts": [], "alts": [], "models": set()}
box = widgets.cardinality_explorer()
(c, keep, d), readout, chart = box.children[0].children, box.children[1], box.children[2]
for move in (lambda: setattr(c, "value", 8), lambda: setattr(keep, "value", False), lambda: setattr(d, "value", 20)):
    move()
    seen["readouts"].append(text(readout.value))
    seen["charts"].append([sorted(o.get("data", {})) for o in chart.outputs])
    seen["alts"].append(re.findall(r'<img alt="([^"]*)"', chart.outputs[0]["data"]["text/html"]))
seen["models"] |= set(models(box))
box = widgets.network_explorer()
(depth, c, d), readout, chart = box.children[0].children, box.children[1], box.children[2]
for move in (lambda: setattr(depth, "value", 101), lambda: setattr(c, "value", 1), lambda: setattr(d, "value", 64)):
    move()
    seen["readouts"].append(text(readout.value))
    seen["charts"].append([sorted(o.get("data", {})) for o in chart.outputs])
    seen["alts"].append(re.findall(r'<img alt="([^"]*)"', chart.outputs[0]["data"]["text/html"]))
seen["models"] = sorted(seen["models"] | set(models(box)))
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def explored():
    """What the explorers show after a reader moves each control, in each environment (run in a subprocess)."""
    found = {}
    for name, (python, _) in ENVIRONMENTS.items():
        if not Path(python).exists():
            pytest.fail(f"{python} is missing: run `make reader` (`make test` does)")
        result = subprocess.run([python, "-c", EXPLORE], capture_output=True, text=True, cwd=ROOT / "book")
        assert result.returncode == 0, f"{name}:\n{result.stderr[-3000:]}"
        found[name] = json.loads(result.stdout.splitlines()[-1])
    return found


@pytest.mark.slow  # starts a process in each environment; needs .venv-reader (`make reader`)
@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_explorers_respond_to_every_control_under_ipywidgets_7_and_8(explored, environment):
    seen = explored[environment]
    assert seen["ipywidgets"].startswith(ENVIRONMENTS[environment][1])
    readouts = seen["readouts"]
    assert "8 × 14d" in readouts[0] and "71,456" in readouts[0]  # keep the cost: Table 2's width for C = 8
    assert f"{complexity.block_params(256, 256, 8, 20):,}" in readouts[2] and "8 × 20d" in readouts[2]
    assert "44,177,704" in readouts[3] and "ResNet-101" in readouts[5] and "44,549,160" in readouts[5]
    assert all(chart == [["image/png", "text/html", "text/plain"]] for chart in seen["charts"]), "one chart a move"
    alts = [alt for (alt,) in seen["alts"]]  # the chart's <img> says what it shows, with the numbers of the readout
    assert "C = 8, d = 14" in alts[0] and "71,456" in alts[0] and "69,632" in alts[0]
    assert "ResNeXt-101 (32×4d)" in alts[3] and "44,177,704" in alts[3] and "44,549,160" in alts[3]
    assert {m.removesuffix("Model") for m in seen["models"]} <= SHARED_WIDGETS


@pytest.mark.slow
def test_explorers_show_the_same_under_ipywidgets_7_and_8(explored):
    newest, colab = explored.values()
    assert colab["ipywidgets"] == COLAB_IPYWIDGETS
    for key in ("readouts", "charts", "alts", "models"):
        assert newest[key] == colab[key], key

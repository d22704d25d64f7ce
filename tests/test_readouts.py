"""``resnext_edu.readouts``: the explorers' controls, views and charts, shared by the notebook widgets and the web book.

The web book runs this module in the reader's browser (Pyodide), so it must import nothing but the standard library
and the package's pure-Python modules; its views must apply each explorer's rule (equal cost) and give the numbers
of ``complexity``; its charts must carry those numbers, the labels the kernel's figures print, and ``style``'s colours.
"""

import ast
import inspect
import re
import subprocess
import sys

import pytest

from resnext_edu import complexity, readouts, style, widgets


def visible_text(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_cardinality_view_keeps_the_cost_and_frees_the_width():
    v = readouts.cardinality_view(8, True, 99)
    assert v["values"] == dict(cardinality=8, keep_cost=True, bottleneck_width=complexity.width_for_cardinality(8))
    assert v["disabled"] == ["bottleneck_width"]
    assert v["readout"]["params"] == complexity.block_params(256, 256, 8, 14) == 71_456
    assert v["html"] == readouts.cardinality_readout_html(8, 14)
    v = readouts.cardinality_view(8, False, 20)
    assert v["values"]["bottleneck_width"] == 20 and v["disabled"] == []
    assert v["readout"]["params"] == complexity.block_params(256, 256, 8, 20)


def test_views_show_errors_instead_of_raising():
    v = readouts.cardinality_view(4, False, 0)
    assert v["readout"] is None and v["chart"] is None
    assert "bottleneck_width must be a whole number" in visible_text(v["html"])
    v = readouts.network_view(34, 32, 4)
    assert v["readout"] is None and "depth must be one of 50, 101, 152" in visible_text(v["html"])


def test_cardinality_chart_carries_the_numbers_labels_and_palette():
    chart = readouts.cardinality_view(32, True, 4)["chart"]
    (panel,) = chart["panels"]
    (bars,) = panel["series"]
    assert bars["values"] == [69_632, 70_144] and bars["labels"] == ["69,632", "70,144"]
    assert bars["fills"] == [style.RESNET_BAR[0], style.RESNEXT_BAR[0]]
    assert bars["edges"] == [style.RESNET_BAR[1], style.RESNEXT_BAR[1]]
    assert panel["reference"] == dict(value=69_632, color=style.RED)
    assert panel["title"] == "1.007× the ResNet block's weights" and chart["ink"] == style.INK
    assert panel["categories"] == ["C = 1, d = 64\n(ResNet)", "C = 32, d = 4"]


def test_network_chart_gives_each_stage_of_both_networks():
    r = readouts.network_readout(101, 64, 4)
    params, macs = readouts.network_chart(r)["panels"]
    arch = complexity.imagenet_architecture(101, 64, 4)
    assert params["categories"] == [row["stage"] for row in complexity.stage_table(arch)]
    resnet, resnext = params["series"]
    assert resnext["values"] == [row["params"] / 1e6 for row in complexity.stage_table(arch)]
    assert sum(resnext["values"]) * 1e6 == pytest.approx(complexity.model_params(101, 64, 4))
    assert sum(macs["series"][1]["values"]) * 1e9 == pytest.approx(complexity.model_macs(101, 64, 4))
    assert (resnet["name"], resnext["name"]) == ("ResNet-101", "ResNeXt-101 (64×4d)")
    assert params["legend"] and not macs["legend"]


@pytest.mark.parametrize("name", readouts.EXPLORERS)
def test_each_explorer_names_its_view_controls_widget_and_figure(name):
    explorer = readouts.EXPLORERS[name]
    view = getattr(readouts, explorer["view"])
    assert list(explorer["controls"]) == list(inspect.signature(view).parameters)[: len(explorer["controls"])]
    assert callable(getattr(widgets, explorer["widget"])) and callable(getattr(widgets, explorer["figure"]))
    initial = {key: control["value"] for key, control in explorer["controls"].items()}
    shown = view(**initial)
    assert shown["values"] == initial, "the controls start where the view's rule puts them"
    for control in explorer["controls"].values():
        assert control["kind"] in ("selection_slider", "int_slider", "dropdown", "checkbox")
        if "options" in control:
            assert control["value"] in control["options"]
        if "min" in control:
            assert control["min"] <= control["value"] <= control["max"]


def test_the_widgets_show_the_views():
    box = widgets.cardinality_explorer()
    controls, readout, _ = box.children
    assert [c.description for c in controls.children] == [
        c["description"] for c in readouts.CARDINALITY_CONTROLS.values()
    ]
    controls.children[0].value = 64
    assert readout.value == readouts.cardinality_view(64, True, 1)["html"]
    box = widgets.network_explorer()
    controls, readout, _ = box.children
    controls.children[0].value = 152
    assert readout.value == readouts.network_view(152, 32, 4)["html"]


def test_readouts_imports_only_the_standard_library_and_pure_modules():
    """What the browser can run: no matplotlib, ipywidgets, numpy, keras or tensorflow, even if installed."""
    code = """
import importlib.abc, sys
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"matplotlib", "ipywidgets", "IPython", "numpy", "keras", "tensorflow"}:
            raise ImportError(f"{name} is not in the browser")
sys.meta_path.insert(0, Refuse())
import resnext_edu.readouts as r
r.cardinality_view(32, True, 4); r.network_view(50, 32, 4)
print(sorted(m for m in sys.modules if m.startswith("resnext_edu")))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert ast.literal_eval(out.stdout) == [
        "resnext_edu",
        "resnext_edu._checks",
        "resnext_edu.architectures",
        "resnext_edu.complexity",
        "resnext_edu.readouts",
        "resnext_edu.style",
    ]

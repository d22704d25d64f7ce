"""The benchmark package: its command line, protocol, networks, sweeps and reports (never its speed: timings vary)."""

import json
import re

import keras
import matplotlib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

matplotlib.use("Agg")

from resnext_edu import benchmark, complexity, introspect, layers  # noqa: E402

TINY = [
    *("--image-size", "8", "--rounds", "1", "--steps", "1", "--warmup", "0"),
    *("--cardinality", "2", "--bottleneck-width", "4"),
]


@pytest.fixture(scope="module")
def tiny_block(tmp_path_factory):
    """A tiny run of every variant on one block, through the command line: (stdout, json results)."""
    import contextlib
    import io

    path = tmp_path_factory.mktemp("bench") / "results.json"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        benchmark.main(["--block", *TINY, "--json", str(path)])
    return out.getvalue(), json.loads(path.read_text()), err.getvalue()


#: ``TINY`` as ``run``'s keywords.
TINY_RUN = dict(image_size=8, rounds=1, steps=1, warmup=0, cardinality=2, bottleneck_width=4)


def _rows(text):
    """{variant: cells} of the Markdown table in ``text``."""
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells] for cells in rows[1:]}


# --- the command line ------------------------------------------------------------------------


def test_defaults():
    kw = benchmark.parse([])
    assert kw["network"] == "imagenet" and kw["rounds"] == 5 and kw["steps"] == 3 and kw["warmup"] == 2
    assert list(kw["variants"]) == ["resnet", "keras", "split", "c", "auto"]
    assert all(modes == ["inference", "train"] for modes in kw["variants"].values())
    assert kw["slow"] is None and kw["json"] is None
    assert list(benchmark.parse(["--block"])["variants"]) == list(benchmark.VARIANTS)
    assert list(benchmark.parse(["--network", "cifar-small"])["variants"]) == ["resnet", "a", "b", "c", "auto"]


def test_options_are_parsed():
    kw = benchmark.parse(
        [
            "--network",
            "cifar-small",
            "--variants",
            "resnet,c,keras:inference",
            "--modes",
            "train",
            "--cardinality",
            "4",
            "--batch-size",
            "16",
            "--rounds",
            "2",
            "--slow",
            "--jit-compile",
            "false",
        ]
    )
    assert kw["variants"] == {"resnet": ["train"], "c": ["train"], "keras": ["inference"]}
    assert (kw["network"], kw["cardinality"], kw["batch_size"], kw["rounds"]) == ("cifar-small", 4, 16, 2)
    assert kw["slow"] is True and kw["jit_compile"] is False
    assert benchmark.parse(["--block", "--image-size", "28"])["network"] == "block"
    assert benchmark.parse(["--variants", "keras:inference+train"])["variants"] == {"keras": ["inference", "train"]}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--variants", "resnet,d"], "variant must be one of"),
        (["--modes", "inference,backward"], "mode must be one of"),
        (["--variants", "keras:fast"], "mode of variant 'keras'"),
        (["--variants", "c,c"], "listed twice"),
        (["--network", "mobile"], "invalid choice"),
        (["--rounds", "0"], "--rounds must be a whole number >= 1"),
        (["--steps", "0"], "--steps"),
        (["--warmup", "-1"], "--warmup"),
        (["--image-size", "16"], "smaller than the network's total downsampling"),
        (["--depth", "34"], "depth must be one of"),
        (["--cardinality", "0"], "cardinality must be a whole number"),
        (["--block", "--num-classes", "10"], "a block has no classifier"),
        (["--block", "--network", "cifar-small"], "exclude each other"),
        (["--network", "cifar-small", "--depth", "101"], "depth applies to the imagenet network only"),
        (["--bottleneck-width", "0"], "bottleneck_width must be a whole number"),
        (["--width", "4"], "unrecognized arguments: --width"),
        (["--modes", "folded", "--variants", "c:fast"], "mode of variant 'c'"),
        (["--batch-size", "two"], "invalid int value"),
    ],
)
def test_bad_options_exit_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        benchmark.parse(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_help_documents_the_options(capsys):
    with pytest.raises(SystemExit) as info:
        benchmark.parse(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for option in (
        "--network",
        "--block",
        "--variants",
        "--modes",
        "--slow",
        "--rounds",
        "--steps",
        "--warmup",
        "--json",
        "--report",
        "--bottleneck-width",
        "folded",
        "cifar-small",
    ):
        assert option in text
    for option in ("--network", "--variants", "--slow", "--rounds", "--warmup", "--json", "--report", "folded"):
        assert option in benchmark.__doc__


def test_report_measures_the_default_resnext_against_resnet_in_every_mode():
    kw = benchmark.parse(["--report"])
    assert kw["report"] is True and kw["network"] == "imagenet"
    library = {v: ["inference", "folded", "train"] for v in ("resnet", "auto")}
    pytorch = {v: ["inference", "folded", "train"] for v in benchmark.PYTORCH_VARIANTS}
    assert kw["variants"] == (library | pytorch if benchmark.networks.pytorch.available() else library)
    limited = benchmark.parse(["--report", "--modes", "train", "--variants", "resnet,auto"])["variants"]
    assert limited == {"resnet": ["train"], "auto": ["train"]}


# --- the library functions -------------------------------------------------------------------


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_tiny_run_reports_every_variant_and_resnet_at_one(tiny_block):
    out, raw, err = tiny_block
    rows = _rows(out)
    assert list(rows) == list(benchmark.VARIANTS)
    assert rows["resnet"][4] == "1.00x" and rows["resnet"][6] == "1.00x"  # inference and train vs resnet
    assert "form='auto' builds form c" in out.splitlines()[0]
    assert "round 1/1" in err  # progress goes to stderr
    assert raw["config"]["network"] == "block" and raw["reference"] == "resnet"
    for variant in benchmark.VARIANTS:
        for mode in benchmark.MODES:
            assert len(raw["images_per_second"][variant][mode]) == 1
            assert raw["images_per_second"][variant][mode][0] > 0


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_results_round_trip_through_json_and_plot(tiny_block):
    results = benchmark.Results(**tiny_block[1])
    assert results.ratio("resnet", "train") == 1.0
    assert benchmark.table(results) in tiny_block[0]
    fig = benchmark.plot_results(results)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list(benchmark.VARIANTS)


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_block_variants_have_the_multiply_adds_of_complexity(tiny_block):
    raw = tiny_block[1]
    resnext = complexity.block_macs(256, 256, 2, 4, 8)
    assert raw["macs"]["resnet"] == complexity.block_macs(256, 256, 1, 64, 8)
    assert all(raw["macs"][v] == resnext for v in benchmark.VARIANTS if v != "resnet")


def test_slow_pairs_are_skipped_on_networks_and_said_so():
    results = benchmark.run(
        ["resnet", "keras"],
        ["train"],
        network="cifar-small",
        cardinality=2,
        batch_size=2,
        rounds=1,
        steps=1,
        warmup=0,
        log=False,
    )
    assert results.skipped == {"keras": {"train": "skipped (--slow)"}}
    assert results.median("keras", "train") is None and results.median("resnet", "train") > 0
    rows = _rows(benchmark.table(results))
    assert rows["keras"][3] == "skipped (--slow)" and rows["resnet"][4] == "1.00x"
    assert isinstance(benchmark.plot_results(results), matplotlib.figure.Figure)


def test_settings_defaults_keep_the_resnet_cost():
    assert benchmark.settings("block").bottleneck_width == 4  # Table 2: C=32 -> d=4
    assert benchmark.settings("imagenet", cardinality=8).bottleneck_width == 14
    small = benchmark.settings("cifar-small")
    assert (small.cardinality, small.bottleneck_width, small.image_size, small.depth) == (8, 3, 32, None)
    assert benchmark.settings("imagenet").depth == 50 and benchmark.settings("block").num_classes is None
    assert benchmark.settings("block").describe() == "one block 256->256 at 56x56, 32x4d vs ResNet 1x64d"
    with pytest.raises(ValueError, match="network must be one of"):
        benchmark.settings("vgg")
    with pytest.raises(ValueError, match="a block has no classifier"):
        benchmark.settings("block", num_classes=10)


def test_every_network_is_one_record():
    for name, network in benchmark.NETWORKS.items():
        assert network.name == name
        assert network.input_channels == (3 if network.num_classes else network.channels)
        assert set(network.variants.split(",")) <= set(benchmark.VARIANTS)


def test_build_the_training_chapters_network_and_its_resnet():
    resnet = benchmark.build("resnet", "cifar-small")
    resnext = benchmark.build("c", "cifar-small", cardinality=4)
    arch = complexity.cifar_architecture(4, 6, 10, 32, **benchmark.CIFAR_SMALL)
    assert introspect.count_macs(resnext) == complexity.architecture_macs(arch)
    ref = complexity.cifar_architecture(1, 16, 10, 32, **benchmark.CIFAR_SMALL)
    assert introspect.count_macs(resnet) == complexity.architecture_macs(ref)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(variants=["z"]), "variant must be one of"),
        (dict(modes=["fast"]), "mode must be one of"),
        (dict(network="block", rounds=0), "rounds must be"),
        (dict(network="block", image_size=0), "image_size must be"),
        (dict(variants=[]), "at least one variant"),
    ],
)
def test_run_rejects_bad_arguments_before_building_anything(kwargs, message):
    with pytest.raises(ValueError, match=message):
        benchmark.run(**kwargs, log=False)


def test_conv_sweep_has_equal_multiply_adds_and_a_table():
    results = benchmark.conv_sweep(
        ((8, 1), (16, 4)), image_size=4, batch_size=2, rounds=1, steps=1, warmup=0, log=False
    )
    assert results.variants == ["C=1, 8 ch", "C=4, 16 ch"] and results.reference == "C=1, 8 ch"
    assert results.macs == {"C=1, 8 ch": 16 * 9 * 8 * 8, "C=4, 16 ch": 16 * 9 * 16 * 4}
    assert _rows(benchmark.table(results))["C=1, 8 ch"][4] == "1.00x"
    assert all(benchmark.EQUAL_MACS[0][0] ** 2 == c * c // g for c, g in benchmark.EQUAL_MACS)
    with pytest.raises(ValueError, match="multiple of groups"):
        benchmark.conv_sweep(((6, 4),))


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_conv_sweep_compares_implementations_of_one_layer():
    results = benchmark.conv_sweep(
        [(16, 4, "auto"), (16, 4, "split"), (16, 4, "keras")],
        "inference",
        image_size=4,
        batch_size=2,
        rounds=1,
        steps=1,
        warmup=0,
        log=False,
    )
    assert results.variants == ["C=4, 16 ch, auto", "C=4, 16 ch, split", "C=4, 16 ch, keras"]
    assert "'keras' op" in results.labels["C=4, 16 ch, keras"] and results.modes() == ["inference"]
    assert results.ratio("C=4, 16 ch, auto", "inference") == 1.0
    assert results.config["specs"][0]["implementation"] == layers.resolve_implementation("auto", 4)
    with pytest.raises(ValueError, match="implementation must be one of"):
        benchmark.conv_sweep([(16, 4, "cudnn")])
    with pytest.raises(ValueError, match="a spec is"):
        benchmark.conv_sweep([16])


def test_plot_results_of_hand_made_results_marks_skipped_pairs():
    results = benchmark.Results(
        config=dict(
            network="block",
            image_size=8,
            batch_size=1,
            rounds=2,
            steps=1,
            warmup=0,
            what="a hand-made block",
            cardinality=2,
            bottleneck_width=4,
            device="CPU",
            keras="3",
            backend="tensorflow",
            xla=False,
            auto="form c",
        ),
        labels={"resnet": "r", "c": "c", "keras": "k"},
        macs={"resnet": 10, "c": 10, "keras": 10},
        images_per_second={
            "resnet": {"inference": [10.0, 20.0]},
            "c": {"inference": [5.0, 30.0]},
            "keras": {"inference": [1.0, 1.0]},
        },
        skipped={"keras": {"train": "skipped (--slow)"}},
        setup_seconds={},
        reference="resnet",
    )
    assert results.modes() == ["inference", "train"]
    assert results.median("c", "inference") == 17.5 and results.spread("c", "inference") == (5.0, 30.0)
    assert results.ratio("c", "inference") == 17.5 / 15  # the ratio of the medians, not the median of (0.5, 1.5)
    assert results.ratio_spread("c", "inference") == (0.5, 1.5)
    fig = benchmark.plot_results(results, title="hand-made")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "skipped (--slow)" in texts and "1.00x" in texts
    assert fig.axes[0].get_title(loc="left") == "hand-made"


# --- what a table shows agrees with itself -------------------------------------------------------------------------


def _shown(cell):
    """``(value, low, high)`` of a cell like "444 (430-460)" or "0.74x (0.70-0.78)"; the reference's "1.00x"."""
    m = re.fullmatch(r"([\d.]+)x? \(([\d.]+)x?-([\d.]+)x?\)", cell) or re.fullmatch(r"([\d.]+)x", cell)
    assert m, cell
    values = [float(g) for g in m.groups()]
    return (*values, values[0], values[0])[:3]


def _digits(x):
    """Half a unit of the last digit ``reports.number`` prints for ``x`` (its rounding error)."""
    return 0.5 if x >= 100 else 0.05 if x >= 10 else 0.005 if x >= 0.1 else 0.0005


def assert_table_agrees_with_itself(results):
    """Every ratio the table prints is the ratio of the rates it prints (to their rounding), inside its spread."""
    rows = _rows(benchmark.table(results))
    modes = results.modes()
    ref = rows[results.reference]
    for variant, cells in rows.items():
        for j, _ in enumerate(modes):
            rate_cell, ratio_cell = cells[3 + 2 * j], cells[4 + 2 * j]
            if ratio_cell == "-":
                continue
            (rate, lo, hi), (base, _, _) = _shown(rate_cell), _shown(ref[3 + 2 * j])
            ratio, r_lo, r_hi = _shown(ratio_cell)
            assert lo <= rate <= hi and r_lo <= ratio <= r_hi
            # the ratio recomputed from the printed rates, to the rounding of the three printed figures
            rounding = _digits(ratio) + 1.01 * ratio * (_digits(rate) / rate + _digits(base) / base)
            assert abs(rate / base - ratio) <= rounding, (variant, rate_cell, ratio_cell)


def test_a_ratio_never_contradicts_the_rates_beside_it():
    """The speed chapter once printed C=4 at 444 img/s as 0.74x and C=16 at 478 img/s as 0.42x (medians of per-round
    ratios): the table now shows the ratio of the printed medians, and the per-round spread beside it."""
    ips = {
        "C=1": {"inference": [1133.0, 600.0, 1500.0]},
        "C=4": {"inference": [444.0, 900.0, 300.0]},
        "C=16": {"inference": [478.0, 200.0, 700.0]},
    }
    results = benchmark.Results(
        config={}, labels={v: v for v in ips}, macs={v: 1 for v in ips}, images_per_second=ips, skipped={},
        setup_seconds={}, reference="C=1",
    )  # fmt: skip
    rows = _rows(benchmark.table(results))
    assert rows["C=4"][3] == "444 (300-900)" and rows["C=16"][3] == "478 (200-700)"
    assert rows["C=4"][4] == "0.39x (0.20-1.50)" and rows["C=16"][4] == "0.42x (0.33-0.47)"  # 444/1133, 478/1133
    assert_table_agrees_with_itself(results)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.lists(st.lists(st.floats(0.01, 5000), min_size=n, max_size=n), min_size=2, max_size=4)
    )
)
def test_tables_agree_with_themselves_whatever_the_rounds(rates):
    ips = {f"v{i}": {"inference": r, "train": [x / 3 for x in r]} for i, r in enumerate(rates)}
    results = benchmark.Results(
        config={}, labels={v: v for v in ips}, macs={v: 10 for v in ips}, images_per_second=ips, skipped={},
        setup_seconds={}, reference="v0",
    )  # fmt: skip
    assert_table_agrees_with_itself(results)


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_the_tiny_runs_table_agrees_with_itself(tiny_block):
    assert_table_agrees_with_itself(benchmark.Results(**tiny_block[1]))


# --- the folded mode and the machine ---------------------------------------------------------------------------------


def test_folded_inference_is_timed_beside_the_other_modes():
    results = benchmark.run(
        {"resnet": ["inference", "folded"], "c": ["folded", "train"]},
        network="block", image_size=4, cardinality=2, bottleneck_width=2, rounds=1, steps=1, warmup=0, log=False,
    )  # fmt: skip
    assert results.modes() == ["inference", "folded", "train"]
    assert set(results.images_per_second["resnet"]) == {"inference", "folded"}
    assert results.ratio("c", "folded") > 0 and results.ratio("c", "inference") is None
    assert "folded" in benchmark.table(results).splitlines()[0]
    assert isinstance(benchmark.plot_results(results), matplotlib.figure.Figure)
    with pytest.raises(ValueError, match="mode must be one of"):
        benchmark.conv_sweep([(8, 1)], "folded")


def test_machine_says_what_the_run_ran_on(capsys):
    info = benchmark.machine()
    assert {"cpu", "logical cores", "ISA", "python", "keras", "tensorflow"} <= set(info)
    assert info["logical cores"] >= 1 and info["keras"].endswith(f"({keras.backend.backend()} backend)")
    assert benchmark.describe_machine(info).splitlines()[0].startswith("- cpu: ")
    benchmark.main(["--report", "--block", *TINY, "--variants", "resnet,c", "--modes", "inference"])
    out = capsys.readouterr().out
    assert out.startswith("Machine, before the run:") and "- ISA: " in out and "Load average" in out
    assert "| resnet |" in out and "| c |" in out


# --- sweeps at a fixed group width, the depthwise end ---------------------------------------------------------------


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_conv_sweep_takes_keras_depthwise_conv_at_groups_equal_channels():
    results = benchmark.conv_sweep(
        [(16, 1), (16, 16), (16, 16, benchmark.DEPTHWISE)],
        "inference",
        image_size=4,
        batch_size=2,
        rounds=1,
        steps=1,
        warmup=0,
        log=False,
    )
    assert results.variants == ["C=1, 16 ch", "C=16, 16 ch", "C=16, 16 ch, depthwise"]
    assert results.macs["C=16, 16 ch"] == results.macs["C=16, 16 ch, depthwise"] == 16 * 9 * 16
    assert "DepthwiseConv2D" in results.labels["C=16, 16 ch, depthwise"]
    specs = results.config["specs"]
    assert [(s["channels"], s["groups"], s["implementation"]) for s in specs] == [
        (16, 1, "dense"),
        (16, 16, layers.resolve_implementation("auto", group_width=1)),  # "native", or "depthwise" where not exact
        (16, 16, benchmark.KERAS_DEPTHWISE),
    ]
    assert "'DepthwiseConv2D'" in benchmark.describe(results)
    fig = benchmark.plot_sweep(results, title="sweep")
    ax = fig.axes[0]
    predicted = ax.get_lines()[0]
    assert list(predicted.get_xdata()) == [1, 16] and list(predicted.get_ydata()) == [1.0, 16.0]
    assert ax.get_title(loc="left") == "sweep" and ax.get_xscale() == "log"
    with pytest.raises(ValueError, match="needs groups = channels"):
        benchmark.conv_sweep([(16, 4, benchmark.DEPTHWISE)])


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_block_sweep_times_whole_blocks_and_the_depthwise_twin():
    results = benchmark.block_sweep(
        [(1, 8), (8, 1), (8, 1, "depthwise")],
        channels=16,
        image_size=4,
        batch_size=2,
        rounds=1,
        steps=1,
        warmup=0,
        log=False,
    )
    assert results.variants == ["1x8d", "8x1d", "8x1d, depthwise"] and results.reference == "1x8d"
    assert results.modes() == ["inference", "train"]
    assert results.macs["1x8d"] == complexity.block_macs(16, 16, 1, 8, 4)
    assert results.macs["8x1d"] == results.macs["8x1d, depthwise"] == complexity.block_macs(16, 16, 8, 1, 4)
    assert results.ratio("1x8d", "train") == 1.0
    assert [s["implementation"] for s in results.config["specs"]] == [
        "dense",
        layers.resolve_implementation("auto", 1),
        benchmark.KERAS_DEPTHWISE,
    ]
    assert benchmark.describe(results).startswith("whole blocks 16->16 at 4x4")
    assert "1x8d" in _rows(benchmark.table(results))
    assert len(benchmark.plot_sweep(results).axes[0].get_lines()) >= 5  # predicted + 2 modes x (line, star)


@pytest.mark.parametrize(
    "specs, message",
    [
        ([(4, 2, "depthwise")], "needs d = 1 and C > 1"),
        ([(1, 1, "depthwise")], "needs d = 1 and C > 1"),
        ([(4, 1, "native")], "a spec is"),
        ([(0, 4)], "cardinality"),
        ([], "at least one"),
        ([(2, 2), (2, 2)], "once"),
    ],
)
def test_block_sweep_rejects_bad_specs(specs, message):
    with pytest.raises(ValueError, match=message):
        benchmark.block_sweep(specs, log=False)


@pytest.mark.tensorflow_only("the benchmark's variants include TensorFlow's implementations 'native', 'split'")
def test_plot_sweep_needs_a_sweep(tiny_block):
    _, data, _ = tiny_block
    with pytest.raises(ValueError, match="plot_sweep needs"):
        benchmark.plot_sweep(benchmark.Results(**data))


# --- where the time goes, and the same networks in PyTorch ------------------------------------------------------------


@pytest.mark.tensorflow_only("the profile reads TensorFlow's profiler")
def test_profile_files_every_op_under_a_kind_of_layer():
    resnet, resnext = (
        benchmark.build(v, "block", image_size=4, cardinality=2, bottleneck_width=4) for v in ("resnet", "c")
    )
    for mode, grouped_rows in [
        ("train", {"3x3 conv (grouped): forward", "3x3 conv (grouped): gradient wrt input"}),
        ("folded", set()),
    ]:
        ms = benchmark.profile([resnet, resnext], mode, batch_size=2, steps=1, warmup=1)
        assert grouped_rows <= set(ms) and all(resnext.name in ms[row] for row in grouped_rows)
        # Folded, the grouped 3x3's forward op may be fused with the bias and ReLU after it ("(fused with what
        # follows)"), or not, as computed group by group where TensorFlow's grouped op is not exact: either row.
        if mode == "folded":
            grouped_rows = {row for row in ms if row.startswith("3x3 conv (grouped): forward")}
            assert len(grouped_rows) == 1 and resnext.name in ms[next(iter(grouped_rows))]
        assert not any(resnet.name in ms[row] for row in grouped_rows)  # ResNet's 3x3 is dense
        assert sum(ms[row].get(resnext.name, 0) for row in ms) > 0
    lines = benchmark.profile_table(ms, {"resnet": resnet.name, "c": resnext.name}).splitlines()
    assert lines[0] == "| ops of | resnet | c | c - resnet |" and lines[-1].startswith("| total |")


@pytest.mark.tensorflow_only("the profile reads TensorFlow's profiler")
def test_profile_is_a_command_line_option(capsys):
    benchmark.main(["--block", *TINY, "--variants", "resnet,c", "--profile", "inference"])
    out = capsys.readouterr().out
    assert "milliseconds per inference step" in out and "| total |" in out
    with pytest.raises(SystemExit):
        benchmark.parse(["--variants", "resnet,torch-resnet", "--profile", "train"])


def test_pytorch_variants_time_the_imagenet_network_only():
    with pytest.raises(ValueError, match="imagenet network only"):
        benchmark.run(["resnet", "torch-resnet"], network="block", log=False)
    assert set(benchmark.PYTORCH_VARIANTS).isdisjoint(benchmark.VARIANTS)


def test_pytorch_variants_run_beside_the_librarys():
    if not benchmark.networks.pytorch.available():
        pytest.skip("torch and torchvision are not installed")
    results = benchmark.run(
        {"resnet": ["inference"], "torch-resnet": ["inference", "folded"], "torch-resnext": ["train"]},
        image_size=32, batch_size=2, cardinality=2, bottleneck_width=4, num_classes=10, rounds=1, steps=1, warmup=0,
        log=False,
    )  # fmt: skip
    assert results.median("torch-resnet", "inference") > 0 and results.median("torch-resnext", "train") > 0
    assert results.skipped == {"torch-resnet": {"folded": "no such mode in PyTorch"}}
    arch = complexity.imagenet_architecture(50, 2, 4, 10, 32)
    assert results.macs["torch-resnext"] == complexity.architecture_macs(arch)
    assert results.macs["torch-resnet"] == results.macs["resnet"]


@pytest.mark.slow  # starts a process per other backend
@pytest.mark.tensorflow_only("the other backends' variants run beside TensorFlow's, each in a process of its own")
def test_the_library_on_other_backends_runs_in_the_same_rounds(monkeypatch):
    others = benchmark.backends.available()
    assert set(others) <= set(benchmark.backends.BACKENDS) and "torch" in others  # the test set-up installs both
    variants = ["resnet", "auto", *(f"{v}@{b}" for b in others for v in ("resnet", "auto"))]
    results = benchmark.run(variants, ["inference", "train"], network="block", **TINY_RUN)
    assert results.variants == variants and results.modes() == ["inference", "train"]
    assert all(results.median(v, m) > 0 for v in variants for m in ("inference", "train"))
    assert len({results.macs[v] for v in variants if v.startswith("auto")}) == 1  # the same block on every backend
    assert "on Keras' torch backend" in _rows(benchmark.table(results))["auto@torch"][1]
    monkeypatch.setattr(benchmark.backends, "available", lambda: [])
    with pytest.raises(ValueError, match=r"Keras' jax backend need it installed \(pip install jax\)"):
        benchmark.run(["resnet", "auto@jax"], "inference", network="block", **TINY_RUN)

"""What a measurement says in words and tables: ``describe``, ``table``, and ``machine`` (what it ran on).

Every ratio a table shows is the ratio of the two medians it shows in the same table (``Results.ratio``), so that a
reader can check it by dividing; the spread (min-max over rounds) stands beside each median and each ratio.
"""

import importlib.metadata
import os
import platform

import keras

#: The instruction-set extensions that decide how fast a CPU convolves (those of them that /proc/cpuinfo lists).
ISA_FLAGS = (
    "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile",
    "amx_bf16", "amx_int8",
)  # fmt: skip


def number(x):
    """Three significant figures (at least one decimal below 100): how ``table`` prints rates and ratios."""
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def _macs(n):
    return f"{n / 1e9:.2f} G" if n >= 1e9 else f"{n / 1e6:.1f} M" if n >= 1e7 else f"{n / 1e6:.2f} M"


def _with_spread(value, spread, unit=""):
    return f"{number(value)}{unit} ({number(spread[0])}-{number(spread[1])})"


def describe(results):
    """One line: what was measured, how, and on what."""
    c = results.config
    rounds, steps = c["rounds"], c["steps"]
    line = (
        f"{c['what']}, batch {c['batch_size']}, {rounds} round{'s' * (rounds != 1)} of {steps} "
        f"step{'s' * (steps != 1)} after {c['warmup']} warm-up; {c['device']}; Keras {c['keras']} ({c['backend']})"
    )
    if "auto" in c:
        line += f", XLA {'on' if c['xla'] else 'off'}; form='auto' builds {c['auto']}"
    return line


def table(results):
    """A Markdown table: multiply-adds, images/s and the ratio to the reference, each a median (min-max over rounds).

    Each ratio is the ratio of the medians shown in the same table (the reference's row shows 1.00x).
    """
    modes, ref = results.modes(), results.reference
    head = ["variant", "what", "mult-adds/image"]
    for m in modes:
        head += [f"{m} img/s (min-max)"] + ([f"{m} vs {ref} (min-max)"] if ref else [])
    if "inference" in modes:
        head.append("inference G mult-adds/s")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * 3 + "--:|" * (len(head) - 3)]
    for v in results.variants:
        cells = [v, results.labels[v], _macs(results.macs[v]) if v in results.macs else "-"]
        for m in modes:
            ips, reason = results.median(v, m), results.skipped.get(v, {}).get(m)
            cells.append(_with_spread(ips, results.spread(v, m)) if ips is not None else reason or "-")
            if ref:
                ratio = results.ratio(v, m)
                if ratio is None:
                    cells.append("-")
                else:
                    cells.append("1.00x" if v == ref else _with_spread(ratio, results.ratio_spread(v, m), "x"))
        if "inference" in modes:
            ips = results.median(v, "inference")
            cells.append(number(ips * results.macs[v] / 1e9) if ips is not None and v in results.macs else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine():
    """What the measurements ran on: CPU model, logical cores, ISA extensions, load, library versions (a dict)."""
    info = {"cpu": platform.processor() or platform.machine(), "logical cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            cpuinfo = f.read()
    except OSError:  # not Linux: the platform module's words only
        cpuinfo = ""
    fields = dict(line.split(":", 1) for line in cpuinfo.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    if "model name" in fields:
        info["cpu"] = fields["model name"]
    flags = set(fields.get("flags", "").split())
    info["ISA"] = " ".join(f for f in ISA_FLAGS if f in flags) or "unknown"
    if hasattr(os, "getloadavg"):
        info["load average (1, 5, 15 min)"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    info["python"] = platform.python_version()
    info["keras"] = f"{keras.__version__} ({keras.backend.backend()} backend)"
    for package in ("numpy", "tensorflow", "jax", "torch", "torchvision"):
        try:
            info[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        threads = tf.config.threading
        info["TensorFlow threads (intra-op, inter-op; 0: one per core)"] = (
            f"{threads.get_intra_op_parallelism_threads()}, {threads.get_inter_op_parallelism_threads()}"
        )
        info["oneDNN"] = f"{_onednn()} (TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset')})"
    return info


def _onednn():
    """Whether TensorFlow runs its oneDNN ops ("on", "off"), or "unknown" (a private function of TensorFlow's)."""
    try:
        from tensorflow.python.util import _pywrap_util_port

        return "on" if _pywrap_util_port.IsMklEnabled() else "off"
    except (ImportError, AttributeError):
        return "unknown"


def describe_machine(info=None):
    """``machine()`` as Markdown list lines."""
    info = machine() if info is None else info
    return "\n".join(f"- {key}: {value}" for key, value in info.items())


def profile_table(profiled, columns):
    """``profiler.profile``'s result as a Markdown table: a row per kind of layer, a column per model (``columns``:
    {heading: model name}), the rows sorted by their largest time, a total, and each column's difference to the
    first."""
    names = list(columns.values())
    rows = sorted(profiled, key=lambda r: -max(profiled[r].values()))
    head = ["ops of", *columns] + ([f"{h} - {next(iter(columns))}" for h in list(columns)[1:]])
    lines = ["| " + " | ".join(head) + " |", "|---|" + "--:|" * (len(head) - 1)]
    totals = {n: sum(profiled[r].get(n, 0.0) for r in rows) for n in names}
    for row, values in [*((r, profiled[r]) for r in rows), ("total", totals)]:
        ms = [values.get(n, 0.0) for n in names]
        cells = [f"{m:.1f}" for m in ms] + [f"{m - ms[0]:+.1f}" for m in ms[1:]]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)

"""What a multi-seed experiment found, as a small JSON file: the book's reference run and any run like it.

A ``Record`` holds the settings, the networks (with their computed parameters and multiply-adds), per run (network,
seed): the history per epoch (loss, accuracy, validation loss and accuracy) and which test images it classified
right (packed bits), and how it was made: the command, the library's, TensorFlow's, Keras' and NumPy's versions, the
machine, the time. ``save`` writes it atomically (a temporary file, then a rename), so that a run killed while
writing keeps its last complete record. ``reference()`` is the record kept in the repository
(``resnext_edu/reference/``), beside the weights of its best ResNeXt and of that ResNeXt's ResNet twin.
"""

import base64
import dataclasses
import datetime
import hashlib
import json
import os
import platform

import numpy as np

#: Where the reference run's record and weights live, in the repository (the command's defaults) and in the package.
REFERENCE_DIR = os.path.join("resnext_edu", "reference")
REFERENCE_JSON = os.path.join(REFERENCE_DIR, "fashion_mnist_equal_cost.json")
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference")


def file_stem(network, seed):
    """``"4x5d_seed3"``: a run's name in file names (the multiplication sign spelled x)."""
    return f"{network.replace('×', 'x')}_seed{seed}"


def _bits(correct):
    return base64.b64encode(np.packbits(np.asarray(correct, bool)).tobytes()).decode("ascii")


def _unbits(text, n):
    return np.unpackbits(np.frombuffer(base64.b64decode(text), np.uint8), count=n).astype(bool)


def versions():
    """The versions a run used: Python, NumPy, TensorFlow, Keras and the library."""
    import keras
    import tensorflow as tf

    import resnext_edu

    return dict(
        python=platform.python_version(),
        numpy=np.__version__,
        tensorflow=tf.__version__,
        keras=keras.__version__,
        resnext_edu=resnext_edu.__version__,
    )


def machine():
    """The machine a run used: platform, processor, CPU count, and its load when the run started."""
    processor = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            processor = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), processor)
    except OSError:
        pass
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return dict(platform=platform.platform(), processor=processor, cpus=os.cpu_count(), load_average=load)


@dataclasses.dataclass
class Record:
    settings: dict
    networks: dict  # label -> {cardinality, bottleneck_width, params, macs}
    data: dict  # {name, train, validation, test}: the data set and its images per split
    runs: list = dataclasses.field(default_factory=list)
    command: str | None = None
    versions: dict = dataclasses.field(default_factory=dict)
    machine: dict = dataclasses.field(default_factory=dict)
    started: str = ""
    seconds: float = 0.0  # of training and scoring, summed over the sessions of the run
    complete: bool = False
    shipped: list = dataclasses.field(default_factory=list)

    @classmethod
    def start(cls, settings, networks, splits, command=None):
        data = dict(name=splits.name, **splits.sizes())
        now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return cls(settings, networks, data, command=command, versions=versions(), machine=machine(), started=now)

    @classmethod
    def load(cls, path):
        try:
            with open(path, encoding="utf-8") as f:
                raw = json.load(f)
            return cls(**raw)
        except (OSError, ValueError, TypeError) as err:
            raise ValueError(f"{path} is not a readable experiment record ({type(err).__name__}: {err}).") from None

    @classmethod
    def resume(cls, path, settings, defaults=None):
        """The record at ``path``, to continue: a ``ValueError`` if it was made with other settings. ``defaults``:
        the values of settings that a record written before they existed had (what the code did then)."""
        record = cls.load(path)
        record.settings = {**(defaults or {}), **record.settings}
        if record.settings != settings:
            keys = set(settings) | set(record.settings)
            changed = sorted(k for k in keys if settings.get(k) != record.settings.get(k))
            raise ValueError(
                f"{path} records a run with other settings ({', '.join(changed)} differ): delete it to start this "
                "run afresh, or write this run's record elsewhere (--out)."
            )
        return record

    def save(self, path):
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        temporary = f"{path}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            f.write(self.to_json())
        os.replace(temporary, path)

    def to_json(self):
        """The record as JSON text: one key a line, one run a line (diffs stay readable, the file small)."""
        fields = dataclasses.asdict(self)
        lines = []
        for key, value in fields.items():
            if key == "runs":
                runs = ",\n".join(f"  {json.dumps(run, ensure_ascii=False)}" for run in value)
                lines.append(f' "runs": [\n{runs}\n ]' if value else ' "runs": []')
            else:
                lines.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
        return "{\n" + ",\n".join(lines) + "\n}\n"

    def add_run(self, network, seed, history, correct, images_per_second=None):
        correct = np.asarray(correct, bool)
        if len(correct) != self.data["test"]:
            raise ValueError(f"correct must have one entry per test image ({self.data['test']}); got {len(correct)}.")
        history = {k: [round(float(v), 6) for v in values] for k, values in history.items() if k != "learning_rate"}
        self.runs.append(
            dict(
                network=network,
                seed=int(seed),
                history=history,
                test_accuracy=round(float(correct.mean()), 6),
                test_correct=_bits(correct),
                images_per_second=None if images_per_second is None else round(float(images_per_second), 1),
            )
        )

    def _by_network(self):
        out = {name: [] for name in self.networks}
        for run in sorted(self.runs, key=lambda r: r["seed"]):
            out[run["network"]].append(run)
        return out

    def histories(self):
        """``{network: [history, ...]}``, one history per seed (in seed order)."""
        return {name: [r["history"] for r in runs] for name, runs in self._by_network().items()}

    def correct(self):
        """``{network: bool array (seeds, test images)}``: which test images each run classified right."""
        n = self.data["test"]
        by_network = self._by_network().items()
        return {name: np.stack([_unbits(r["test_correct"], n) for r in runs]) for name, runs in by_network}

    def choose_shipped(self):
        """The runs whose weights are shipped: the ResNeXt with the highest final validation accuracy (ties: the
        lower seed), and the ResNet (cardinality 1) trained from the same seed."""
        resnet = next(name for name, net in self.networks.items() if net["cardinality"] == 1)
        resnexts = [r for r in self.runs if r["network"] != resnet]
        best = max(resnexts, key=lambda r: (r["history"].get("val_accuracy", [0])[-1], -r["seed"]))
        twin = next(r for r in self.runs if r["network"] == resnet and r["seed"] == best["seed"])
        return [best, twin]

    def run_of(self, network, seed):
        return next(r for r in self.runs if r["network"] == network and r["seed"] == seed)

    def report(self):
        """A few lines: each network's test accuracy over seeds, and its difference to the ResNet with an interval."""
        from resnext_edu import comparison

        correct = self.correct()
        resnet = next(iter(correct))
        lines = [f"{self.data['name']}: {len(self.runs)} runs, {self.data['test']} test images"]
        for name, runs in correct.items():
            line = f"  {name:<6} {comparison.summary(runs)}"
            if name != resnet:
                line += f"   vs {resnet}: {comparison.bootstrap_difference(correct[resnet], runs)}"
            lines.append(line)
        return "\n".join(lines)

    def verdict(self, level=0.95):
        """What the runs support, one sentence per ResNeXt: more or less accurate than the ResNet (its bootstrap
        interval over seeds and test images, ``level``, excludes zero) or not distinguishable from it; then what the
        runs are about (networks, epochs, images, seeds): the verdict's scope."""
        from resnext_edu import comparison

        correct = self.correct()
        resnet = next(name for name, net in self.networks.items() if net["cardinality"] == 1)
        lines = []
        for name, runs in correct.items():
            if name == resnet:
                continue
            interval = comparison.bootstrap_difference(correct[resnet], runs, level=level)
            if interval.low > 0:
                finding = "more accurate than the ResNet in these runs"
            elif interval.high < 0:
                finding = "less accurate than the ResNet in these runs"
            else:
                finding = "not distinguishable from the ResNet in these runs (the interval includes zero)"
            lines.append(f"{name}: {finding}: {interval}.")
        settings, data, seeds = self.settings, self.data, len(self.settings["seeds"])
        seeds = f"{seeds} seed" + "s" * (seeds != 1)
        lines.append(
            f"About: these networks (about {self.networks[resnet]['params']:,} weights each) trained for "
            f"{settings['epochs']} epochs on {data['train']:,} {data['name']} images from {seeds}, "
            f"scored on {data['test']:,} test images."
        )
        return lines


def with_digests(shipped, folder):
    """``shipped`` entries with the SHA-256 and size of each weights file in ``folder``."""
    out = []
    for entry in shipped:
        path = os.path.join(folder, entry["file"])
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        out.append({**entry, "sha256": digest, "bytes": os.path.getsize(path)})
    return out


def reference(folder=PACKAGE_DIR):
    """The reference run's ``Record``, as shipped with the library."""
    return Record.load(os.path.join(folder, os.path.basename(REFERENCE_JSON)))


__all__ = [
    "REFERENCE_DIR",
    "REFERENCE_JSON",
    "PACKAGE_DIR",
    "file_stem",
    "versions",
    "machine",
    "Record",
    "with_digests",
    "reference",
]

"""The reader's kernel, in which `make test` runs every chapter under nbval (pyproject.toml: --nbval-kernel-name).

`make reader` creates .venv-reader with Colab's versions of requirements.txt and of the kernel (requirements-colab.txt)
and `resnext_edu` installed from the wheel that `pip wheel` builds of this repository, and registers its kernel as
`resnext-reader` in .venv. Here a kernel of it is started as nbval starts one (working directory: book/), and asked
where its library comes from: the wheel in its own site-packages, not the source tree, with nothing of the dev
environment (pytest, nbval, jupyter-book) importable, and which versions it has: exactly Colab's.
"""

import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READER = ROOT / ".venv-reader"
KERNEL = "resnext-reader"

PROBE = """
import importlib.metadata, importlib.util, json, pathlib, sys
import resnext_edu
dist = importlib.metadata.distribution("resnext_edu")
print(json.dumps({
    "prefix": sys.prefix,
    "file": resnext_edu.__file__,
    "version": dist.version,
    "direct_url": json.loads(dist.read_text("direct_url.json") or "{}"),
    "modules": sorted(p.name for p in pathlib.Path(resnext_edu.__file__).parent.glob("*.py")),
    "dev_tools": [m for m in ("pytest", "nbval", "jupyter_book", "playwright") if importlib.util.find_spec(m)],
    "installed": {d.metadata["Name"]: d.version for d in importlib.metadata.distributions()},
    "python": sys.version.split()[0],
}))
"""


@pytest.fixture(scope="module")
def reader_kernel():
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import start_new_kernel

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        pytest.fail(f"the reader's kernel '{KERNEL}' is not installed: run `make reader` (`make test` does)")
    manager, client = start_new_kernel(kernel_name=KERNEL, cwd=str(ROOT / "book"), startup_timeout=120)
    try:
        out = []
        reply = client.execute_interactive(
            PROBE, timeout=120, output_hook=lambda msg: out.append(msg["content"].get("text", ""))
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        yield json.loads("".join(out))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_the_kernel_is_the_readers_environment(reader_kernel):
    assert Path(reader_kernel["prefix"]).resolve() == READER.resolve()
    assert reader_kernel["dev_tools"] == [], "only requirements.txt, ipykernel and the library are installed there"


def test_the_library_comes_from_its_wheel_not_from_the_source_tree(reader_kernel):
    file = Path(reader_kernel["file"]).resolve()
    assert file.is_relative_to(READER.resolve()) and "site-packages" in file.parts
    assert not file.is_relative_to((ROOT / "resnext_edu").resolve())
    url = reader_kernel["direct_url"]
    assert "archive_info" in url and url.get("url", "").endswith(".whl"), url


def test_the_wheel_holds_the_current_library(reader_kernel):
    """Every module of the source tree is in the wheel, at the version of pyproject.toml (`make reader` rebuilds the
    wheel whenever the library changes)."""
    assert reader_kernel["version"] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert reader_kernel["modules"] == sorted(p.name for p in (ROOT / "resnext_edu").glob("*.py"))
    for name in reader_kernel["modules"]:
        installed = Path(reader_kernel["file"]).parent / name
        assert installed.read_bytes() == (ROOT / "resnext_edu" / name).read_bytes(), f"{name}: run `make reader`"


def colab_pins():
    """requirements-colab.txt as {canonical name: version}."""
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements-colab.txt").read_text(), re.M)
    return {canonical(name): version for name, version in pins}


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_kernel_has_exactly_colabs_versions(reader_kernel):
    """Every pin of requirements-colab.txt is what the kernel's environment has (pip would not refuse a wrong pin
    silently, but a hand-installed package or a stale .venv-reader would go unnoticed otherwise)."""
    installed = {canonical(name): version for name, version in reader_kernel["installed"].items()}
    pins = colab_pins()
    assert {"tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "scikit-learn", "jax"} <= set(pins)
    assert {name: installed.get(name) for name in pins} == pins
    assert reader_kernel["python"].startswith("3.11."), "requirements-colab.txt says the reader's Python is 3.11"


def test_the_readme_states_the_versions_of_requirements_colab():
    """The README's "Colab's versions" names versions of requirements-colab.txt; each must be the pinned one."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Colab's versions") :].split("\n## ", 1)[0]
    named = re.findall(r"\b([A-Za-z][\w-]*) (\d+\.\d+(?:\.\d+)?)\b", section)
    pins = colab_pins()
    stated = {canonical(name): version for name, version in named if canonical(name) in pins}
    assert {"tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "ipython", "ipykernel"} <= set(stated)
    assert {name: version for name, version in stated.items() if not pins[name].startswith(version)} == {}

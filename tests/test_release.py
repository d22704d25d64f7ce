"""Releases (tools/release.py, run as `tools/notebooks.py release X.Y.Z`): the version of pyproject.toml, the
CHANGELOG.md entry and the tag and commit that every install cell pins agree, here and after a release.

A release is made for real in a temporary copy of the book (its chapters, tools, settings and CHANGELOG.md, committed
to a new git repository): two commits and a tag, each a consistent state; then each kind of disagreement is made and
must be found.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import notebooks  # tools/notebooks.py (tests/conftest.py puts tools/ on the path)
import pytest
import release  # tools/release.py

ROOT = Path(__file__).resolve().parents[1]
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Release Test",
    "GIT_AUTHOR_EMAIL": "release@example.invalid",
    "GIT_COMMITTER_NAME": "Release Test",
    "GIT_COMMITTER_EMAIL": "release@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
PIN = re.compile(r'%pip install -q --no-deps "resnext_edu @ git\+(?P<url>\S+)@(?P<ref>[^"\s]+)"')


def test_this_repository_agrees_with_itself(book):
    """pyproject.toml, resnext_edu.__version__, CHANGELOG.md, git and every install cell name one release."""
    assert release.problems(ROOT) == []
    entry = release.current(ROOT)
    assert entry is not None and entry.version == book.version
    for path in book.chapters:
        pins = pins_of(path)
        assert pins == [entry.commit or f"v{book.version}"], path.name


def pins_of(path):
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    return [m["ref"] for c in cells for m in PIN.finditer("".join(c["source"]))]


def git(repo, *args, check=True):
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, env=GIT_ENV)
    assert result.returncode == 0 or not check, result.stderr
    return result.stdout.strip()


def tool(repo, *args):
    return subprocess.run(
        [sys.executable, "tools/notebooks.py", *args], cwd=repo, capture_output=True, text=True, env=GIT_ENV
    )


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """A copy of the book, committed, then released as 0.2.0 by the release command: (repo, R, the pin commit)."""
    repo = tmp_path_factory.mktemp("book")
    copied = ("_config.yml", "_toc.yml", "pyproject.toml", "CHANGELOG.md", "resnext_edu/__init__.py", "book", "tools")
    for name in copied:
        source, target = ROOT / name, repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        else:
            shutil.copy2(source, target)
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "The book before its release")
    result = tool(repo, "release", "0.2.0", "--date=2026-12-01")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "git push --atomic origin HEAD v0.2.0" in result.stdout
    return repo, git(repo, "rev-parse", "HEAD~1"), git(repo, "rev-parse", "HEAD")


def test_a_release_is_two_commits_and_a_tag_on_the_first(released):
    repo, commit, head = released
    assert git(repo, "log", "--format=%s").splitlines() == [
        f"Install cells pin release 0.2.0: commit {commit}",
        "Release 0.2.0",
        "The book before its release",
    ]
    assert git(repo, "rev-parse", "v0.2.0^{commit}") == commit
    assert git(repo, "cat-file", "-t", "v0.2.0") == "tag", "an annotated tag"
    assert git(repo, "status", "--porcelain") == ""


def test_the_release_commit_has_the_version_and_its_entry_and_pins_the_tag(released):
    repo, commit, _ = released
    assert re.search(r'^version = "0\.2\.0"$', git(repo, "show", f"{commit}:pyproject.toml"), re.M)
    assert '__version__ = "0.2.0"' in git(repo, "show", f"{commit}:resnext_edu/__init__.py")
    changes = git(repo, "show", f"{commit}:CHANGELOG.md")
    assert release.entries(changes)[0] == release.Entry("0.2.0", "2026-12-01", None)
    assert "(unreleased)" not in changes, "the notes written for the next release became the release's"
    git(repo, "checkout", "--quiet", commit)
    try:
        book = notebooks.settings()
        for path in book.chapters:
            assert pins_of(repo / path.relative_to(ROOT)) == ["v0.2.0"]
        check = tool(repo, "check-release", "v0.2.0")
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        git(repo, "checkout", "--quiet", "main")


def test_the_pin_commit_records_the_release_commit_and_every_install_cell_pins_it(released):
    repo, commit, _ = released
    assert release.entries((repo / "CHANGELOG.md").read_text())[0] == release.Entry("0.2.0", "2026-12-01", commit)
    assert f"Commit: {commit} (tag v0.2.0)" in (repo / "CHANGELOG.md").read_text()
    for path in notebooks.settings().chapters:
        copy = repo / path.relative_to(ROOT)
        assert pins_of(copy) == [commit], copy.name
        assert "commit of release v0.2.0" in "".join(
            next(c for c in json.loads(copy.read_text())["cells"] if c["cell_type"] == "code")["source"]
        )
    check = tool(repo, "check-release", "v0.2.0")
    assert check.returncode == 0, check.stdout + check.stderr
    assert tool(repo, "check-release", "v0.3.0").returncode == 1, "the workflow's tag must be the version's"
    notes = tool(repo, "notes", "0.2.0").stdout
    assert notes.startswith(f"Commit: {commit}") and "## " not in notes


@pytest.mark.parametrize(
    "break_it, message",
    [
        (lambda repo: git(repo, "tag", "-f", "-a", "v0.2.0", "-m", "moved", "HEAD"), "tag v0.2.0 points at"),
        (lambda repo: sub(repo / "pyproject.toml", r'version = "0.2.0"', 'version = "0.2.1"'), "newest entry is 0.2.0"),
        (lambda repo: sub(repo / "resnext_edu/__init__.py", r'"0.2.0"', '"0.1.9"'), "__version__ = '0.1.9'"),
        (lambda repo: sub(repo / "CHANGELOG.md", r"Commit: [0-9a-f]{40}", "Commit: " + "0" * 40), "not in this"),
        (lambda repo: sub(repo / "book/03_three_forms.ipynb", r"@[0-9a-f]{40}", "@v0.2.0"), "03_three_forms.ipynb"),
    ],
    ids=["tag-moved", "version-bumped-alone", "library-version", "unknown-commit", "install-cell-edited"],
)
def test_each_disagreement_is_found(released, break_it, message):
    repo, _, _ = released
    saved = git(repo, "rev-parse", "v0.2.0")
    break_it(repo)
    try:
        check = tool(repo, "check-release", "v0.2.0")
        assert check.returncode == 1 and message in check.stdout, check.stdout + check.stderr
    finally:
        git(repo, "checkout", "--quiet", "--", ".")
        git(repo, "update-ref", "refs/tags/v0.2.0", saved)


def sub(path, pattern, replacement):
    text = path.read_text()
    new = re.sub(pattern, replacement, text, count=1)
    assert new != text, pattern
    path.write_text(new)


@pytest.mark.parametrize(
    "version, message",
    [("0.2.0", "exists already"), ("0.1.5", "not newer than the last release"), ("1.0", "three integers")],
)
def test_release_refuses_a_version_it_cannot_make(released, version, message):
    repo, _, head = released
    result = tool(repo, "release", version)
    assert result.returncode != 0 and message in result.stderr, result.stdout + result.stderr
    assert git(repo, "rev-parse", "HEAD") == head


def test_release_refuses_a_dirty_work_tree(released):
    repo, _, head = released
    sub(repo / "CHANGELOG.md", r"# Changelog", "# Changes")
    try:
        result = tool(repo, "release", "0.3.0")
        assert result.returncode != 0 and "work tree must be clean" in result.stderr
        assert git(repo, "rev-parse", "HEAD") == head
    finally:
        git(repo, "checkout", "--quiet", "--", ".")


def test_a_second_release_takes_the_unreleased_notes_and_the_commits_since(released, tmp_path):
    repo = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(released[0]), str(repo))
    git(repo, "fetch", "--quiet", "--tags")
    (repo / "NOTES.txt").write_text("x")
    git(repo, "add", "NOTES.txt")
    git(repo, "commit", "--quiet", "-m", "A change after 0.2.0")
    result = tool(repo, "release", "0.3.0", "--date=2026-12-24")
    assert result.returncode == 0, result.stdout + result.stderr
    notes = tool(repo, "notes", "0.3.0").stdout
    assert "- A change after 0.2.0" in notes and "Release 0.2.0" not in notes and "Install cells pin" not in notes
    assert [e.version for e in release.entries((repo / "CHANGELOG.md").read_text())] == ["0.3.0", "0.2.0"]

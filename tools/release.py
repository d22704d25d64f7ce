"""Releases: the version of pyproject.toml, its CHANGELOG.md entry, and the tag and commit every install cell pins.

`python tools/notebooks.py release X.Y.Z` (`make release VERSION=X.Y.Z`) makes a release in two commits, because a
commit cannot name itself (its hash depends on its content):

1. **The release commit** R: pyproject.toml and `resnext_edu.__version__` say X.Y.Z; CHANGELOG.md's entry
   "## X.Y.Z (YYYY-MM-DD)" says what the release holds (its "## Unreleased" notes, or else the commit subjects since
   the last release); every chapter's install cell pins the tag vX.Y.Z. The annotated tag vX.Y.Z is made on R.
2. **The pin commit**, right after R: the entry records "Commit: R", and every install cell pins R itself, with the
   tag in its comment. A tag can be moved or deleted, a commit cannot: what a reader installs is what was tested.

Both commits are consistent states (``problems`` finds nothing in either); nothing is pushed: the command ends by
printing `git push --atomic origin HEAD vX.Y.Z`. The release workflow then builds the wheel of the tag and attaches it
to the GitHub release.

Between releases the version stays the last release's, and every install cell keeps pinning it; notes for the next
release go under "## Unreleased" at the top of CHANGELOG.md. Before the first release the top entry reads
"## X.Y.Z (unreleased)" and the install cells pin the tag that the release will make.
"""

import datetime
import re
import subprocess
import tomllib
import typing

VERSION = re.compile(r"^\d+\.\d+\.\d+$")
HEADING = re.compile(r"^## (?:(?P<version>\d+\.\d+\.\d+) \((?P<date>\d{4}-\d{2}-\d{2}|unreleased)\)|Unreleased)$", re.M)
PIN_SUBJECT = re.compile(r"^- Install cells pin release ")  # the second commit of a release, not a change
COMMIT_LINE = re.compile(r"^Commit: (?P<commit>[0-9a-f]{40})\b.*$")


class Entry(typing.NamedTuple):
    """One versioned entry of CHANGELOG.md: its version, its date (None before it is released), its commit (the
    release commit R, once the pin commit records it)."""

    version: str
    date: str | None
    commit: str | None


def key(version):
    return tuple(int(part) for part in version.split("."))


def entries(text):
    """The versioned entries of a CHANGELOG.md text, newest first (as written)."""
    found = []
    for match in HEADING.finditer(text):
        if not match["version"]:
            continue
        body = text[match.end() :].lstrip("\n").split("\n", 1)[0]
        commit = COMMIT_LINE.match(body)
        date = None if match["date"] == "unreleased" else match["date"]
        found.append(Entry(match["version"], date, commit["commit"] if commit else None))
    return found


def project_version(root):
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def library_version(root):
    match = re.search(r'^__version__ = "([^"]+)"$', (root / "resnext_edu" / "__init__.py").read_text(), re.M)
    return match[1] if match else None


def current(root):
    """The CHANGELOG.md entry of pyproject.toml's version (the release every install cell pins), or None."""
    version = project_version(root)
    return next((e for e in entries(changelog(root)) if e.version == version), None)


def changelog(root):
    path = root / "CHANGELOG.md"
    return path.read_text() if path.exists() else ""


def git(root, *args, check=True):
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed:\n{result.stderr.strip()}")
    return result.stdout.strip() if result.returncode == 0 else None


def in_git(root):
    """Whether root is in a git work tree (a copy without .git, or a machine without git, has no history to check)."""
    try:
        return git(root, "rev-parse", "--is-inside-work-tree", check=False) == "true"
    except FileNotFoundError:
        return False


def problems(root):
    """What disagrees between pyproject.toml, resnext_edu.__version__, CHANGELOG.md and git (empty if nothing). The
    install cells are compared with what ``notebooks.install_source`` makes of these (``notebooks.problems``)."""
    version, found = project_version(root), []
    if library_version(root) != version:
        found.append(f"resnext_edu/__init__.py says __version__ = {library_version(root)!r}, pyproject.toml {version}")
    listed = entries(changelog(root))
    if not listed:
        return found + ["CHANGELOG.md has no entry '## X.Y.Z (YYYY-MM-DD)' (or '(unreleased)' before the first one)"]
    if listed[0].version != version:
        found.append(f"CHANGELOG.md's newest entry is {listed[0].version}, pyproject.toml says {version}")
    if [key(e.version) for e in listed] != sorted({key(e.version) for e in listed}, reverse=True):
        found.append(f"CHANGELOG.md's versions are not newest first, each once: {[e.version for e in listed]}")
    found += [f"CHANGELOG.md: {e.version} is not the newest entry and has no date" for e in listed[1:] if not e.date]
    entry = current(root)
    if entry is None or not in_git(root):
        return found
    tag = git(root, "rev-parse", "--verify", "--quiet", f"refs/tags/v{version}^{{commit}}", check=False)
    if entry.commit:
        if git(root, "cat-file", "-e", f"{entry.commit}^{{commit}}", check=False) is None:
            shallow = git(root, "rev-parse", "--is-shallow-repository", check=False) == "true"
            found.append(
                f"CHANGELOG.md: commit {entry.commit} of {version} is not in this repository's history"
                + (" (a shallow clone: `git fetch --unshallow --tags`)" if shallow else "")
            )
        else:
            released = tomllib.loads(git(root, "show", f"{entry.commit}:pyproject.toml"))["project"]["version"]
            if released != version:
                found.append(f"commit {entry.commit} (CHANGELOG.md, {version}) has version {released}")
        if tag and tag != entry.commit:
            found.append(f"tag v{version} points at {tag}, CHANGELOG.md and the install cells pin {entry.commit}")
    elif entry.date and tag != git(root, "rev-parse", "HEAD"):
        found.append(
            f"{version} is released ({entry.date}) but CHANGELOG.md records no commit: only the release commit itself, "
            f"tagged v{version}, may lack it (the release's second step writes it)"
        )
    return found


def notes(root, version):
    """The text of a version's CHANGELOG.md entry (for the GitHub release)."""
    text = changelog(root)
    match = next((m for m in HEADING.finditer(text) if m["version"] == version), None)
    if match is None:
        raise SystemExit(f"CHANGELOG.md has no entry for {version}")
    following = HEADING.search(text, match.end())
    return text[match.end() : following.start() if following else len(text)].strip() + "\n"


def _set(path, pattern, value):
    text = path.read_text()
    new, count = re.subn(pattern, lambda m: m[1] + value + m[2], text, count=1, flags=re.M)
    if count != 1:
        raise SystemExit(f"{path}: no line matches {pattern}")
    path.write_text(new)


def _release_heading(root, version, date):
    """CHANGELOG.md with the release's heading: its "## Unreleased" notes or "(unreleased)" entry (whatever version it
    expected) become the release's, or else a new entry lists the commit subjects since the last release."""
    text = changelog(root)
    first = HEADING.search(text)
    heading = f"## {version} ({date})"
    if first and (first[0] == "## Unreleased" or first["date"] == "unreleased"):
        return text[: first.start()] + heading + text[first.end() :]
    last = next((e for e in entries(text) if e.date), None)
    since = [f"v{last.version}..HEAD"] if last and git(root, "tag", "--list", f"v{last.version}") else []
    subjects = [s for s in git(root, "log", "--format=- %s", *since).splitlines() if not PIN_SUBJECT.match(s)]
    subjects = subjects or ["- No changes recorded."]
    entry = heading + "\n\n" + "\n".join(subjects) + "\n\n"
    at = first.start() if first else len(text)
    return text[:at] + entry + text[at:]


def release(root, version, sync, date=None, tag=True):
    """Make release `version` in the two commits of the module docstring; ``sync(root)`` rewrites the install cells
    (``notebooks.sync``) and returns the chapters' paths."""
    if not VERSION.match(version):
        raise SystemExit(f"release: the version must be X.Y.Z (three integers), not {version!r}")
    date = date or datetime.date.today().isoformat()
    if not in_git(root):
        raise SystemExit("release: run it in a git work tree (it commits and tags)")
    if git(root, "status", "--porcelain", "--untracked-files=no"):
        raise SystemExit("release: commit or stash your changes first (the work tree must be clean)")
    if git(root, "tag", "--list", f"v{version}"):
        raise SystemExit(f"release: the tag v{version} exists already")
    released = [e.version for e in entries(changelog(root)) if e.date]
    if released and key(version) <= key(released[0]):
        raise SystemExit(f"release: {version} is not newer than the last release, {released[0]}")
    if key(version) < key(project_version(root)):
        raise SystemExit(f"release: {version} is older than pyproject.toml's {project_version(root)}")
    before = problems(root)
    if before:
        raise SystemExit("release: fix these first:\n  " + "\n  ".join(before))

    # 1. The release commit: version, changelog, install cells pinning the tag; the tag on it.
    _set(root / "pyproject.toml", r'^(version = ")[^"]*(")', version)
    _set(root / "resnext_edu" / "__init__.py", r'^(__version__ = ")[^"]*(")', version)
    (root / "CHANGELOG.md").write_text(_release_heading(root, version, date))
    files = ["pyproject.toml", "resnext_edu/__init__.py", "CHANGELOG.md", *map(str, sync(root))]
    git(root, "add", "--", *files)
    git(root, "commit", "--quiet", "-m", f"Release {version}")
    commit = git(root, "rev-parse", "HEAD")
    if tag:
        git(root, "tag", "-a", f"v{version}", "-m", f"Release {version}", commit)

    # 2. The pin commit: CHANGELOG.md records R, the install cells pin it.
    text = changelog(root)
    heading = f"## {version} ({date})\n"
    at = text.index(heading) + len(heading)
    (root / "CHANGELOG.md").write_text(text[:at] + f"\nCommit: {commit} (tag v{version})\n" + text[at:])
    git(root, "add", "--", "CHANGELOG.md", *map(str, sync(root)))
    git(root, "commit", "--quiet", "-m", f"Install cells pin release {version}: commit {commit}")  # PIN_SUBJECT
    after = problems(root) if tag else []
    if after:
        raise SystemExit("release: made, but inconsistent:\n  " + "\n  ".join(after))
    return commit


def main(root, argv, sync):
    """`release X.Y.Z [--date YYYY-MM-DD] [--no-tag]`, `check-release [vX.Y.Z]`, `notes X.Y.Z`."""
    command, *args = argv
    if command == "release":
        options = {a.split("=", 1)[0]: a.split("=", 1)[-1] for a in args if a.startswith("--")}
        versions = [a for a in args if not a.startswith("--")]
        if len(versions) != 1 or set(options) - {"--date", "--no-tag"}:
            raise SystemExit("usage: tools/notebooks.py release X.Y.Z [--date=YYYY-MM-DD] [--no-tag]")
        commit = release(root, versions[0], sync, date=options.get("--date"), tag="--no-tag" not in options)
        print(f"Released {versions[0]}: commit {commit}, tag v{versions[0]}, install cells pin it.")
        print(f"Publish it with:  git push --atomic origin HEAD v{versions[0]}")
        return 0
    if command == "check-release":
        found = problems(root)
        version = project_version(root)
        if args and args[0] != f"v{version}":
            found.append(f"the tag {args[0]} is not v{version}, the version of pyproject.toml")
        print("\n".join(found) or f"release {version}: pyproject.toml, CHANGELOG.md and git agree")
        return 1 if found else 0
    if command == "notes":
        print(notes(root, args[0] if args else project_version(root)), end="")
        return 0
    raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    raise SystemExit("run it as `python tools/notebooks.py release X.Y.Z` (see its docstring)")

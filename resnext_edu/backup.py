"""The backup of a training run: weights, optimizer state and history as one atomic unit, checked on restore.

``training.train(..., backup_dir=...)`` writes one after every epoch. Its folder holds one committed unit::

    backup_dir/epoch-000003/     the state after epoch 3 (the newest completed epoch)
        model.weights.h5         the model's weights and the optimizer's state (Keras), the epoch as an attribute
        backup.json              the epoch, the weights file's SHA-256, the run's settings and its whole history

A unit is written into ``backup_dir/incomplete/`` and committed by renaming that folder (one atomic step), then
the previous unit is deleted. A crash at any point leaves either the previous unit or the new one: ``incomplete/``
is discarded on restore, and of two units the newer is kept. Anything else — a unit with a file missing, a file
truncated, garbled or replaced (its checksum), the halves out of step, a file the backup never writes, an epoch
beyond the run's, settings other than this run's — is damage, reported as a ``ValueError`` that names the folder,
what is wrong, and the two ways out (delete the folder, or ``restart=True``). Nothing is pickled.
"""

import hashlib
import json
import os
import re
import shutil

FORMAT = "resnext_edu.training backup, version 1"
WEIGHTS, METADATA, INCOMPLETE, ATTRIBUTE = "model.weights.h5", "backup.json", "incomplete", "resnext_edu_epoch"
_UNIT = re.compile(r"epoch-(\d{6})")
_KEYS = {"format", "epoch", "sha256", "settings", "history", "train_seconds", "step_seconds", "seconds"}

#: Called as ``on_write_stage(stage, epoch)`` with "weights" (weights written, metadata not yet) and "committed" (the
#: new unit renamed into place, the old one not yet deleted) during every write; tests set it to kill the process there.
on_write_stage = None


def damaged(backup_dir, problem):
    """The ``ValueError`` for a backup that cannot be trusted, with the two ways out."""
    return ValueError(
        f"the backup in backup_dir={str(backup_dir)!r} cannot be resumed: {problem}. Delete that folder, or pass "
        "restart=True to discard the backup and train from the first epoch."
    )


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entries(backup_dir):
    """The committed units (epoch, path), newest last; raises on files the backup never writes."""
    if not os.path.isdir(backup_dir):
        raise damaged(backup_dir, "it is not a folder")
    units, foreign = [], []
    for name in sorted(os.listdir(backup_dir)):
        path = os.path.join(backup_dir, name)
        if name.startswith(".") or (name == INCOMPLETE and os.path.isdir(path)):
            continue  # hidden files (a file system's own); a write that a crash interrupted
        match = _UNIT.fullmatch(name)
        if match and os.path.isdir(path):
            units.append((int(match.group(1)), path))
        else:
            foreign.append(name)
    if foreign:
        raise damaged(backup_dir, f"it holds {', '.join(foreign)}, which this backup never writes")
    return units


def _read_metadata(backup_dir, unit):
    path = os.path.join(unit, METADATA)
    try:
        with open(path, encoding="utf-8") as f:
            metadata = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise damaged(backup_dir, f"its metadata {path} cannot be read ({type(error).__name__}: {error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT or not _KEYS <= set(metadata):
        raise damaged(backup_dir, f"its metadata {path} is not a backup's ({FORMAT!r} with {sorted(_KEYS)})")
    epoch, history = metadata["epoch"], metadata["history"]
    if (
        not isinstance(epoch, int)
        or isinstance(epoch, bool)
        or epoch < 1
        or not isinstance(history, dict)
        or not all(isinstance(v, list) and len(v) == epoch for v in history.values())
        or not isinstance(metadata["settings"], dict)
        or not isinstance(metadata["train_seconds"], list)
        or not isinstance(metadata["step_seconds"], list)
    ):
        raise damaged(backup_dir, f"its metadata {path} is damaged (epoch, history or settings malformed)")
    return metadata


def read(backup_dir, epochs, settings):
    """The newest committed unit's metadata and weights path, checked; ``None`` if there is no backup yet.

    ``epochs`` and ``settings`` are this run's: a backup of another run (other settings, or more epochs than this
    run has) is refused rather than resumed into a result that no uninterrupted run would give.
    """
    backup_dir = str(backup_dir)
    if not os.path.exists(backup_dir):
        return None
    units = _entries(backup_dir)
    if not units:
        return None
    epoch, unit = units[-1]
    names = set(os.listdir(unit))
    if METADATA not in names and WEIGHTS in names:
        raise damaged(backup_dir, f"{unit} holds weights but no metadata ({METADATA} is missing)")
    if WEIGHTS not in names:
        raise damaged(backup_dir, f"{unit} holds no weights ({WEIGHTS} is missing)")
    if names != {METADATA, WEIGHTS}:
        raise damaged(backup_dir, f"{unit} holds {', '.join(sorted(names - {METADATA, WEIGHTS}))} besides the backup")
    metadata = _read_metadata(backup_dir, unit)
    weights = os.path.join(unit, WEIGHTS)
    if metadata["epoch"] != epoch:
        raise damaged(backup_dir, f"the metadata of {unit} records epoch {metadata['epoch']}, its folder {epoch}")
    if _sha256(weights) != metadata["sha256"]:
        size = os.path.getsize(weights)
        raise damaged(
            backup_dir, f"{weights} ({size:,} bytes) is not the file its metadata records (truncated or garbled)"
        )
    if _weights_epoch(backup_dir, weights) != epoch:
        raise damaged(backup_dir, f"{weights} records another epoch than its metadata ({epoch})")
    if epoch > epochs:
        raise damaged(backup_dir, f"it holds {epoch} completed epochs, more than this run's epochs={epochs}")
    different = {
        key: (metadata["settings"].get(key), value)
        for key, value in settings.items()
        if metadata["settings"].get(key) != value
    }
    if different:
        listed = "; ".join(f"{key}: backup {old!r}, this run {new!r}" for key, (old, new) in different.items())
        raise damaged(backup_dir, f"it was made by a run with other settings ({listed})")
    return metadata, weights


def _weights_epoch(backup_dir, path):
    import h5py

    try:
        with h5py.File(path, "r") as f:
            return int(f.attrs[ATTRIBUTE])
    except (OSError, KeyError, ValueError, TypeError) as error:
        raise damaged(backup_dir, f"{path} cannot be read as weights ({type(error).__name__})") from None


def restore(backup_dir, model, weights):
    """Load ``weights`` (model and optimizer state) into ``model``, compiled; a clear error if they do not fit."""
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    try:
        model.load_weights(weights)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        problem = f"its weights do not load into {model.name!r} ({type(error).__name__}: {error})"
        raise damaged(backup_dir, problem) from None


def _fsync(path):
    """Flush ``path`` (a file, or a folder's entries) to the disk; where the system cannot (a folder on Windows, some
    network file systems), the rename that commits a unit is still atomic, only less sure to survive a power cut."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write(backup_dir, model, epoch, metadata):
    """Back up ``model`` (weights and optimizer state) after ``epoch``, with ``metadata``; atomic (module docstring)."""
    import h5py

    backup_dir = str(backup_dir)
    os.makedirs(backup_dir, exist_ok=True)
    staging = os.path.join(backup_dir, INCOMPLETE)
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    weights = os.path.join(staging, WEIGHTS)
    model.save_weights(weights)
    with h5py.File(weights, "r+") as f:
        f.attrs[ATTRIBUTE] = epoch
    _fsync(weights)
    _stage("weights", epoch)
    record = {"format": FORMAT, "epoch": epoch, "sha256": _sha256(weights), **metadata}
    with open(os.path.join(staging, METADATA), "w", encoding="utf-8") as f:
        json.dump(record, f)
        f.flush()
        os.fsync(f.fileno())
    _fsync(staging)
    older = [path for _, path in _entries(backup_dir)]
    os.rename(staging, os.path.join(backup_dir, f"epoch-{epoch:06d}"))  # the commit
    _fsync(backup_dir)
    _stage("committed", epoch)
    for path in older:
        shutil.rmtree(path)


def _stage(name, epoch):
    if on_write_stage is not None:
        on_write_stage(name, epoch)


def clean(backup_dir):
    """Remove what a crash left behind: an interrupted write, and units older than the newest."""
    backup_dir = str(backup_dir)
    if os.path.isdir(backup_dir):
        shutil.rmtree(os.path.join(backup_dir, INCOMPLETE), ignore_errors=True)
        for _, path in _entries(backup_dir)[:-1]:
            shutil.rmtree(path)


def delete(backup_dir):
    """Remove the backup (every unit, any interrupted write), then ``backup_dir`` itself if nothing else is in it."""
    backup_dir = str(backup_dir)
    if not os.path.isdir(backup_dir):
        return
    for name in os.listdir(backup_dir):
        path = os.path.join(backup_dir, name)
        if (name == INCOMPLETE or _UNIT.fullmatch(name)) and os.path.isdir(path):
            doomed = os.path.join(backup_dir, f".deleted-{name}")
            os.rename(path, doomed)  # atomic: a crash mid-delete leaves a hidden folder, never half a unit
            shutil.rmtree(doomed)
    for name in os.listdir(backup_dir):
        if name.startswith(".deleted-"):
            shutil.rmtree(os.path.join(backup_dir, name), ignore_errors=True)
    if not os.listdir(backup_dir):
        os.rmdir(backup_dir)


__all__ = ["FORMAT", "damaged", "read", "restore", "write", "clean", "delete"]

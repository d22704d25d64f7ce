"""Exercises of the chapter *Inside a trained ResNeXt*: the shipped ResNeXt of the reference run
(``experiments.reference_model``), its paths' output strength, and accuracy with paths switched off (``inside``).

Accuracies are measured on the chapter's probe, a stratified fifth of the Fashion-MNIST test images
(``data.subset(..., seed=0)``); another CPU may round a sum differently and flip a prediction, so they are compared
within a few images.
"""

import functools

from resnext_edu.exercises.core import Exercise, answer_is, close, scaled_by

_TOLERANCE = 0.0015  # three of the probe's 2,000 images


@functools.cache
def _model():
    from resnext_edu import experiments, inside

    model, _ = experiments.reference_model("resnext")
    return model, inside.paths(model), inside.weight_norms(model)


@functools.cache
def _probe():
    from resnext_edu import data

    splits = data.load_fashion_mnist()
    probe = data.subset(splits, test=len(splits.y_test) // 5, seed=0)
    return probe.x_test, probe.y_test


def _path(block_index=-1, pick=max, key="strength"):
    """The path (from 0) of the block ``block_index`` whose ``key`` in ``inside.weight_norms`` is ``pick``-most."""
    _, blocks, rows = _model()
    block = list(blocks)[block_index]
    return pick((r for r in rows if r["block"] == block), key=lambda r: r[key])["path"]


def _accuracy(removed=None):
    """Probe accuracy of the ResNeXt with ``removed`` ({block: [path, ...]}) switched off."""
    from resnext_edu import inside

    model, blocks, _ = _model()
    images, labels = _probe()
    channels = {b: [c for i in paths for c in blocks[b].channels(i)] for b, paths in (removed or {}).items()}
    with inside.removed(model, channels):
        return inside.accuracy(model, images, labels)


def _last_block():
    return list(_model()[1])[-1]


def _lost_without_strongest():
    return _accuracy() - _accuracy({_last_block(): [_path()]})


def _all_but_first(blocks=None):
    found = _model()[1]
    return {b: list(range(1, found[b].cardinality)) for b in (blocks or found)}


EXERCISES = (
    Exercise(
        key="inside-resnext-1",
        question="Which path of the last block has the largest output strength (numbered from 1, as the figures do)?",
        expected=lambda: _path() + 1,
        hint="Filter inside.weight_norms(resnext) for the last block's rows and take the path of the row with the "
        "largest 'strength'; the rows count paths from 0.",
        mistakes=(
            answer_is(_path, "That counts from 0, as the rows of inside.weight_norms do; the figures number from 1."),
            answer_is(
                lambda: _path(pick=min) + 1, "That is the path with the smallest output strength; take the largest."
            ),
        ),
    ),
    Exercise(
        key="inside-resnext-2",
        question="How much probe accuracy (a fraction) does the ResNeXt lose when only that strongest path is removed?",
        expected=_lost_without_strongest,
        hint="inside.accuracy on the probe, intact and within `with inside.removed(resnext, {block: channels})`, "
        "the channels of that path (Paths.channels); the loss is the first minus the second.",
        mistakes=(
            answer_is(
                lambda: _accuracy({_last_block(): [_path()]}),
                "That is the accuracy left without the path; the question asks how much is lost.",
                compare=close(abs_tol=_TOLERANCE),
            ),
            answer_is(
                lambda: -_lost_without_strongest(),
                "The sign is reversed: the loss is the intact accuracy minus the accuracy without the path.",
                compare=close(abs_tol=_TOLERANCE),
            ),
            scaled_by(lambda: 100, "That is in points; give a fraction (a hundredth of it).", rel=0.05),
        ),
        compare=close(abs_tol=_TOLERANCE),
    ),
    Exercise(
        key="inside-resnext-3",
        question="Keep only path 0 in every block and remove all the others: what probe accuracy (a fraction) is left?",
        expected=lambda: _accuracy(_all_but_first()),
        hint="One dict for inside.removed holding, for every block, the channels of paths 1 to C - 1.",
        mistakes=(
            answer_is(
                lambda: _accuracy({b: [0] for b in _model()[1]}),
                "That removes path 0 and keeps the others; keep path 0 alone.",
                compare=close(abs_tol=_TOLERANCE),
            ),
            answer_is(
                lambda: _accuracy(_all_but_first([_last_block()])),
                "That keeps path 0 alone in the last block only; do it in every block at once.",
                compare=close(abs_tol=_TOLERANCE),
            ),
            scaled_by(lambda: 100, "That is in points; give a fraction (a hundredth of it).", rel=0.05),
        ),
        compare=close(abs_tol=_TOLERANCE),
    ),
)

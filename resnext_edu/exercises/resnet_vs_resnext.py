"""Exercises of the chapter *ResNet versus ResNeXt at equal cost*: Table 2's rule on the chapter's networks, and
reading the reference run's record (``records.reference``) with the spread over seeds and bootstrap intervals."""

import dataclasses
import functools

from resnext_edu.exercises.core import Exercise, answer_is, close, scaled_by, too_large, too_small

_C = 2  # the ResNeXt of the first exercise: two paths


def _width(cardinality):
    from resnext_edu import experiments

    setting = dataclasses.replace(experiments.CHAPTER, cardinalities=(1, cardinality))
    return setting.widths()[cardinality]


@functools.cache
def _reference_correct():
    """``{network: (seeds, test images) bool}`` of the shipped reference run, and the labels of its networks."""
    from resnext_edu import records

    correct = records.reference().correct()
    return correct, list(correct)


def _mean_points(network):
    correct, _ = _reference_correct()
    return 100 * float(correct[network].mean(axis=1).mean())


def _between_resnexts(first=1, second=2):
    """Mean test accuracy of the reference run's network ``second`` minus that of ``first``, in points."""
    _, names = _reference_correct()
    return _mean_points(names[second]) - _mean_points(names[first])


@functools.cache
def _interval_widths(over_first="images"):
    """Widths in points of the default 95 % bootstrap intervals of the widest-C ResNeXt against the ResNet in the
    reference run: resampling test images only, then seeds and images (``comparison.bootstrap_difference``)."""
    from resnext_edu import comparison

    correct, names = _reference_correct()
    widths = []
    for over in (over_first, "both"):
        interval = comparison.bootstrap_difference(correct[names[0]], correct[names[-1]], over=over)
        widths.append(100 * (interval.high - interval.low))
    return tuple(widths)


EXERCISES = (
    Exercise(
        key="resnet-vs-resnext-1",
        question="Table 2's rule on this chapter's ResNet block: what width d does a ResNeXt with C = 2 paths get?",
        expected=lambda: _width(_C),
        hint="complexity.width_for_cardinality(2, in_channels, out_channels, reference_width) with the setting's "
        "out_channels (in and out) and reference_width, or SETTING.widths() of a setting with cardinalities (1, 2).",
        mistakes=(
            answer_is(
                lambda: _C * _width(_C), "That is the group width C·d; the question asks for d, one path's width."
            ),
            answer_is(lambda: _width(4), "That is the width of the 4-path network; with 2 paths each can be wider."),
            too_large("Too wide: two paths of that width cost more than the ResNet's block. Count both neighbours."),
            too_small("Too thin: a wider path stays closer to the ResNet block's weights. Count both neighbours."),
        ),
    ),
    Exercise(
        key="resnet-vs-resnext-2",
        question="In the reference run, the 8-path network's mean test accuracy minus the 4-path one's, in points?",
        expected=_between_resnexts,
        hint="records.reference().correct() gives each network's (seeds, test images) array; a run's accuracy is the "
        "mean of its row, the network's the mean over its seeds; 100 times a fraction is points.",
        mistakes=(
            answer_is(
                lambda: -_between_resnexts(),
                "The sign is reversed: the question asks for the 8-path network minus the 4-path one.",
                compare=close(abs_tol=0.005),
            ),
            scaled_by(lambda: 0.01, "That is a fraction; the question asks for points (100 times it).", rel=1e-3),
            answer_is(
                lambda: _between_resnexts(0, 2),
                "That is the 8-path network minus the ResNet; compare the two ResNeXts.",
                compare=close(abs_tol=0.005),
            ),
        ),
        compare=close(abs_tol=0.005),
    ),
    Exercise(
        key="resnet-vs-resnext-3",
        question="Widths (points) of the reference run's 95 % intervals, 8-path minus ResNet: over images only, over "
        "seeds and images?",
        expected=_interval_widths,
        hint="comparison.bootstrap_difference(resnet, resnext, over=...) with over='images', then the default 'both'; "
        "an interval's width is high - low, and 100 times a fraction is points.",
        mistakes=(
            answer_is(
                lambda: _interval_widths()[::-1],
                "The two widths are swapped: the first is the one over test images only.",
                compare=close(rel=0.02),
            ),
            answer_is(
                lambda: tuple(w / 100 for w in _interval_widths()),
                "Those are fractions; give the widths in points (100 times them).",
                compare=close(rel=0.1),
            ),
            answer_is(
                lambda: _interval_widths("runs"),
                "The first width resamples seeds only (over='runs'); the question asks for test images only.",
                compare=close(rel=0.02),
            ),
        ),
        # the bootstrap is seeded, so the answer reproduces exactly; 2 % keeps the seeds-only width, a few per cent
        # away from the images-only one in the shipped record, a mistake
        compare=close(rel=0.02),
    ),
)

"""Exercises of the chapter *Scaling out*: how a batch is split, the paper's CIFAR recipe on other devices, and what
an all-reduce exchanges."""

from resnext_edu import complexity, paper
from resnext_edu.exercises.core import Exercise, answer_is, close, off_by, scaled_by

_REPLICAS = 2  # the chapter's two logical CPUs
_ODD_BATCH = 65
_BATCH_PER_REPLICA = 32  # the chapter's run
#: The chapter's network: models.resnext_cifar(4, 8, 10, (32, 32, 3), **benchmark.CIFAR_SMALL), on digits or CIFAR-10.
_NETWORK = dict(cardinality=4, bottleneck_width=8, num_classes=10, input_size=32)


def _shares(batch=_ODD_BATCH, replicas=_REPLICAS):
    """Images per replica when MirroredStrategy splits a global batch: as evenly as whole images allow, the first
    replica taking the odd one (the chapter's solution checks this against ``distribute.replica_batches``)."""
    base, extra = divmod(batch, replicas)
    return [base + (i < extra) for i in range(replicas)]


def _paper_cifar(per_gpu=None, scale=True):
    """(global batch, learning rate) for the chapter's replicas, each keeping the paper's CIFAR share per GPU."""
    from resnext_edu import distribute

    r = paper.CIFAR_RECIPE
    per_gpu = r.batch_size // r.gpus if per_gpu is None else per_gpu
    batch = per_gpu * _REPLICAS
    rate = distribute.scaled_learning_rate(r.learning_rate, batch, r.batch_size) if scale else r.learning_rate
    return batch, rate


def _architecture():
    from resnext_edu import benchmark

    return complexity.cifar_architecture(**_NETWORK, **benchmark.CIFAR_SMALL)


def _trainable(batchnorm=True):
    return complexity.architecture_params(_architecture(), batchnorm=batchnorm)


def _batchnorm():
    """BatchNorm's gamma and beta: as many numbers as its moving mean and variance, which are not trained."""
    return _trainable() - _trainable(batchnorm=False)


EXERCISES = (
    Exercise(
        key="scaling-out-1",
        question="With two replicas, how does MirroredStrategy split a batch of 65 images? [replica 0, replica 1].",
        expected=_shares,
        hint="Every image is used once, and the shares are as even as whole images allow; the chapter's whole "
        "training split ended in such a batch.",
        mistakes=(
            answer_is(
                lambda: list(reversed(_shares())),
                "The right sizes, in the wrong order: the first replica takes the odd image.",
            ),
            answer_is(
                lambda: [_ODD_BATCH / _REPLICAS] * _REPLICAS,
                "A replica receives whole images: one share is one image larger than the other.",
            ),
            answer_is(
                lambda: [_ODD_BATCH] * _REPLICAS,
                "Each replica gets a share of the batch, not a copy of it: the shares add up to the global batch.",
            ),
            answer_is(
                lambda: [_ODD_BATCH // _REPLICAS] * _REPLICAS,
                "No image is dropped: the shares add up to all 65.",
            ),
        ),
    ),
    Exercise(
        key="scaling-out-2",
        question="Keeping the paper's CIFAR share of images per GPU (Appendix A), which global batch and which "
        "linearly scaled learning rate would this chapter's two replicas use? (global_batch, learning_rate).",
        expected=_paper_cifar,
        compare=close(rel=1e-9),
        hint="paper.CIFAR_RECIPE: batch_size images on gpus GPUs in all, at learning_rate. Divide for one GPU's "
        "share, multiply by the replicas, then distribute.scaled_learning_rate(rate, new batch, batch_size).",
        mistakes=(
            answer_is(
                lambda: _paper_cifar(per_gpu=paper.CIFAR_RECIPE.batch_size),
                "The paper's CIFAR mini-batch was the batch of all its GPUs together (Appendix A), not one GPU's: "
                "divide it by the number of GPUs. (32 per GPU is its ImageNet recipe, Sec. 4.)",
                compare=close(rel=1e-9),
            ),
            answer_is(
                lambda: _paper_cifar(per_gpu=_BATCH_PER_REPLICA),
                "32 images per GPU is the paper's ImageNet recipe (Sec. 4) and this chapter's run; on CIFAR the "
                "paper spread a smaller batch over its GPUs (Appendix A).",
                compare=close(rel=1e-9),
            ),
            answer_is(
                lambda: _paper_cifar(scale=False),
                "The batch is right; now scale the learning rate with it, linearly from the paper's rate at its batch.",
                compare=close(rel=1e-9),
            ),
            answer_is(
                lambda: (_paper_cifar()[0] // _REPLICAS, _paper_cifar()[1] / _REPLICAS),
                "That is one replica's share; the global batch is the sum over both replicas.",
                compare=close(rel=1e-9),
            ),
        ),
    ),
    Exercise(
        key="scaling-out-3",
        question="How many numbers does one replica contribute to the gradient all-reduce at every step of this "
        "chapter's run?",
        expected=_trainable,
        hint="One gradient per trainable weight, summed over the replica's images before it is exchanged: count the "
        "trainable parameters of the chapter's network (build()).",
        mistakes=(
            off_by(
                _batchnorm,
                "That is Keras' count_params(): BatchNorm's moving mean and variance are not trained, so they have "
                "no gradient to exchange.",
            ),
            answer_is(
                lambda: _trainable(batchnorm=False),
                "BatchNorm's γ and β are trained too: their gradients are all-reduced with the rest.",
            ),
            scaled_by(
                lambda: _REPLICAS,
                "That counts both replicas; the question asks what one replica contributes.",
            ),
            scaled_by(
                lambda: _BATCH_PER_REPLICA,
                "A replica sums its images' gradients before the exchange: one number per weight, whatever the batch.",
            ),
        ),
    ),
)

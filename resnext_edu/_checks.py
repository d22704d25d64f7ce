"""Argument checks shared by the builders (pure Python, no TensorFlow), and the check of Keras' backend."""

import numbers
import os

FORMS = ("a", "b", "c", "auto")


def positive_int(name, value, minimum=1):
    """Return ``value`` as an int, or raise ``ValueError`` saying what is wrong and what is allowed."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r} ({type(value).__name__}).")
    if value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value}.")
    return int(value)


def one_of(name, value, allowed):
    """Return ``value`` if it is one of ``allowed``, else raise ``ValueError`` listing them."""
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}.")
    return value


def machine_memory():
    """Bytes of physical memory of this machine, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def fits_in_memory(weights, what):
    """``weights`` if that many float32 numbers fit in the machine's memory; else a ``ValueError`` with the estimate."""
    memory = machine_memory() or 2**40
    if 4 * weights > memory:
        raise ValueError(
            f"{what} would hold about {weights:,} weights ({4 * weights / 2**30:,.1f} GiB as float32), more than this "
            f"machine's memory ({memory / 2**30:,.1f} GiB) can hold: choose smaller widths or cardinality."
        )
    return weights


def tensorflow_backend(what):
    """Nothing if Keras runs on TensorFlow; else a ``RuntimeError``: ``what`` is built on TensorFlow alone."""
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"{what} needs Keras' TensorFlow backend; Keras runs on {backend!r} here. Set the environment variable "
            "KERAS_BACKEND=tensorflow before Keras is first imported (in a notebook: restart the kernel, set it first)."
        )

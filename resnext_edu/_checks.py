"""Argument checks shared by the builders (pure Python, no TensorFlow)."""

import numbers

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

"""Hypothesis strategies shared by the tests of argument checks."""

from hypothesis import strategies as st

#: Anything that is not a whole number >= 1.
invalid_counts = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.none(),
    st.booleans(),
    st.lists(st.integers(1, 8), max_size=2),
)

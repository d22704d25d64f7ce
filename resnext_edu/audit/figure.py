"""``plot_departures``: a grid of models by checks, what passes and what departs from the paper."""

from resnext_edu import style
from resnext_edu.audit.comparison import Audit


def plot_departures(results, title=None):
    """A grid of audits: one row per model, one column per kind of check, red where any stage departs.

    ``results``: ``{label: Audit}``. Each cell counts the checks of that kind that fail (stages, or the
    model's totals). Returns the matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    if not results or not all(isinstance(r, Audit) for r in results.values()):
        raise ValueError("plot_departures needs a dict of label -> Audit (from audit.compare).")
    columns = list(
        dict.fromkeys(f"{c.what} (model)" if c.where == "model" else c.what for r in results.values() for c in r.checks)
    )
    fig, ax = plt.subplots(figsize=(0.62 * len(columns) + 2.6, 0.42 * len(results) + 2.2))
    for row, audit_result in enumerate(results.values()):
        for col, column in enumerate(columns):
            checks = [
                c for c in audit_result.checks if (f"{c.what} (model)" if c.where == "model" else c.what) == column
            ]
            failed = sum(not c.ok for c in checks)
            color = style.NONE_FILL if not checks else (style.FAIL_FILL if failed else style.PASS_FILL)
            ax.add_patch(plt.Rectangle((col, row), 0.94, 0.9, color=color, lw=0))
            if checks:
                ax.text(
                    col + 0.47,
                    row + 0.45,
                    str(failed) if failed else "✓",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=style.RED if failed else style.GREEN,
                    weight="bold" if failed else None,
                )
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(results), 0)
    ax.set_xticks([i + 0.47 for i in range(len(columns))], columns, rotation=40, ha="right", fontsize=8)
    ax.set_yticks([i + 0.45 for i in range(len(results))], list(results), fontsize=9)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.set_title(
        title or "audit.compare: checks that depart from the paper (count), ✓ where all agree", fontsize=10, loc="left"
    )
    fig.tight_layout()
    return fig

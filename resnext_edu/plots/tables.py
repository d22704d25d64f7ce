"""Table 1 as a table: ``StageTable`` (HTML in a notebook, aligned text otherwise) and ``stage_table_frame``."""

from resnext_edu.plots.networks import giga, input_text, network_rows, size_text

# --- Table 1 as a table ------------------------------------------------------------------------


class StageTable:
    """Table 1 computed, as a table a notebook shows as HTML; its plain text is deterministic."""

    columns = ("stage", "output size", "blocks", "out channels", "group width (C)", "params", "multiply-adds")

    def __init__(self, name, input_size, rows, source="Table 1"):
        self.name = name
        self.source = source  # where the paper specifies the network
        self.input_size = input_size
        self.rows = rows  # raw numbers, one dict per stage (as complexity.stage_table)
        self.total_params = sum(r["params"] for r in rows)
        self.total_macs = None if any(r["macs"] is None for r in rows) else sum(r["macs"] for r in rows)

    @property
    def title(self):
        return f"{self.name}, {input_text(self.input_size)} ({self.source}, computed)"

    def cells(self):
        """The table's text: one tuple of strings per stage, then the total."""
        out = []
        for r in self.rows:
            group = "—" if r["group_width"] is None else f"{r['group_width']} (C={r['cardinality']})"
            out.append(
                (
                    r["stage"],
                    size_text(r["output_size"]),
                    str(r["blocks"]) if r["blocks"] else "—",
                    str(r["out_channels"]),
                    group,
                    f"{r['params']:,}",
                    "—" if r["macs"] is None else giga(r["macs"]),
                )
            )
        macs = "—" if self.total_macs is None else giga(self.total_macs)
        out.append(("total", "", "", "", "", f"{self.total_params:,}", macs))
        return out

    def __repr__(self):
        cells = self.cells()
        widths = [max(len(c[i]) for c in cells + [self.columns]) for i in range(len(self.columns))]
        numeric = {2, 3, 5, 6}

        def fmt(row):
            return "  ".join(
                c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))
            ).rstrip()

        return "\n".join([self.title, fmt(self.columns), *(fmt(r) for r in cells)])

    __str__ = __repr__

    def _repr_html_(self):
        import html

        head = "".join(
            f"<th style='text-align:{'left' if i in (0, 1, 4) else 'right'}'>{html.escape(c)}</th>"
            for i, c in enumerate(self.columns)
        )
        body = []
        for k, row in enumerate(self.cells()):
            style = " style='font-weight:bold; border-top:1px solid #999'" if k == len(self.rows) else ""
            cells = "".join(
                f"<td style='text-align:{'left' if i in (0, 1, 4) else 'right'}'>{html.escape(c)}</td>"
                for i, c in enumerate(row)
            )
            body.append(f"<tr{style}>{cells}</tr>")
        return (
            f"<table><caption style='caption-side:top; text-align:left'>{html.escape(self.title)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )


def stage_table_frame(arch):
    """The paper's Table 1, computed: a ``StageTable`` (HTML in a notebook, aligned text otherwise).

    ``arch`` is a ``complexity.Architecture`` (rows from ``complexity.stage_table``) or a model
    built by ``resnext_edu.models`` (rows read from its layers). Columns: stage, output size,
    blocks, out channels, group width (C), params, multiply-adds. Its caption names where the paper
    specifies the network: Table 1 (ImageNet, a 7x7 stem), or Sec. 5.3 and Appendix A (CIFAR, a 3x3 stem).
    """
    name, size, rows = network_rows(arch)
    source = "Table 1" if rows[0]["lines"][0].startswith("7x7") else "Sec. 5.3, Appendix A"
    return StageTable(name, size, [{k: v for k, v in r.items() if k not in ("lines", "note")} for r in rows], source)

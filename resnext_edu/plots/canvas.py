"""A small layout engine for the book's diagrams: primitives in inches at scale 1, rendered at any scale."""

import functools
import math
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, PathPatch
from matplotlib.path import Path
from matplotlib.textpath import TextToPath

from resnext_edu.style import (
    CONV,
    FONT,
    INK,
    MUTED,
    SMALL,
)  # fmt: skip

_T2P = TextToPath()


@functools.lru_cache(maxsize=4096)
def text_size(text, size, weight="normal", style="normal"):
    """(width, height) in inches of one line of ``text`` at ``size`` points (measured glyphs)."""
    prop = FontProperties(size=size, weight=weight, style=style)
    width, _, _ = _T2P.get_text_width_height_descent(text, prop, ismath=False)
    return width * 1.06 / 72 + 0.02, size * 1.25 / 72


def giga(n):
    return f"{n / 1e9:.3f} G"


# --- a small layout engine: primitives in inches at scale 1, rendered at any scale -------------


@dataclass
class Canvas:
    """Boxes, circles, arrows and texts placed in inches (at font scale 1), with their extent."""

    items: list = field(default_factory=list)
    bounds: list = field(default_factory=lambda: [math.inf, math.inf, -math.inf, -math.inf])
    center: float = 0.0  # x of the main column (set by the layouts)

    def _grow(self, x0, y0, x1, y1):
        b = self.bounds
        self.bounds = [min(b[0], x0), min(b[1], y0), max(b[2], x1), max(b[3], y1)]

    def text(
        self,
        x,
        y,
        s,
        size=FONT,
        ha="center",
        va="center",
        color=INK,
        weight="normal",
        style="normal",
        rotation=0,
        background=False,
    ):
        w, h = text_size(s, size, weight, style)
        if rotation:
            w, h = h, w
        x0 = {"left": x, "center": x - w / 2, "right": x - w}[ha]
        y0 = {"bottom": y, "center": y - h / 2, "top": y - h, "baseline": y - 0.25 * h}[va]
        self._grow(x0, y0, x0 + w, y0 + h)
        self.items.append(
            (
                "text",
                dict(
                    x=x,
                    y=y,
                    s=s,
                    size=size,
                    ha=ha,
                    va=va,
                    color=color,
                    weight=weight,
                    style=style,
                    rotation=rotation,
                    background=background,
                ),
            )
        )
        return w, h

    def box(self, x, y, w, h, main, sub=None, colors=CONV, weight="normal"):
        """A rounded box centred on (x, y); ``main`` label, optional small ``sub`` line below it."""
        self._grow(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        self.items.append(("box", dict(x=x, y=y, w=w, h=h, colors=colors)))
        if sub:
            self.text(x, y + 0.075, main, weight=weight)
            self.text(x, y - 0.105, sub, size=SMALL, color=MUTED)
        else:
            self.text(x, y, main, weight=weight)

    def circle(self, x, y, r, label="+"):
        self._grow(x - r, y - r, x + r, y + r)
        self.items.append(("circle", dict(x=x, y=y, r=r, label=label)))

    def arrow(self, points, head=True, color=INK, dashed=False, lw=1.0):
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        self._grow(min(xs), min(ys), max(xs), max(ys))
        self.items.append(("arrow", dict(points=points, head=head, color=color, dashed=dashed, lw=lw)))

    def line(self, points, color=INK, lw=1.0, dashed=False):
        self.arrow(points, head=False, color=color, dashed=dashed, lw=lw)

    def dot(self, x, y, r=0.035):
        self.items.append(("dot", dict(x=x, y=y, r=r)))

    @property
    def width(self):
        return self.bounds[2] - self.bounds[0]

    @property
    def height(self):
        return self.bounds[3] - self.bounds[1]

    def render(self, ax, scale):
        """Draw every item on ``ax`` (data units = inches at scale 1; fonts and lines times ``scale``)."""
        lw_scale = max(scale, 0.6)
        for kind, a in self.items:
            if kind == "text":
                bbox = dict(facecolor="white", edgecolor="none", pad=0.6 * scale) if a["background"] else None
                ax.text(
                    a["x"],
                    a["y"],
                    a["s"],
                    fontsize=a["size"] * scale,
                    ha=a["ha"],
                    va=a["va"],
                    color=a["color"],
                    fontweight=a["weight"],
                    fontstyle=a["style"],
                    rotation=a["rotation"],
                    bbox=bbox,
                    zorder=4,
                )
            elif kind == "box":
                fill, edge = a["colors"]
                ax.add_patch(
                    FancyBboxPatch(
                        (a["x"] - a["w"] / 2, a["y"] - a["h"] / 2),
                        a["w"],
                        a["h"],
                        boxstyle="round,pad=0,rounding_size=0.06",
                        facecolor=fill,
                        edgecolor=edge,
                        linewidth=0.9 * lw_scale,
                        zorder=3,
                    )
                )
            elif kind == "circle":
                ax.add_patch(
                    Circle(
                        (a["x"], a["y"]), a["r"], facecolor="white", edgecolor=INK, linewidth=0.9 * lw_scale, zorder=3
                    )
                )
                ax.text(
                    a["x"],
                    a["y"],
                    a["label"],
                    fontsize=11 * scale,
                    ha="center",
                    va="center_baseline",
                    color=INK,
                    zorder=4,
                )
            elif kind == "dot":
                ax.add_patch(Circle((a["x"], a["y"]), a["r"], facecolor=INK, edgecolor="none", zorder=3))
            elif kind == "arrow":
                _draw_polyline(ax, a["points"], a["head"], a["color"], a["lw"] * lw_scale, a["dashed"], scale)


def _draw_polyline(ax, points, head, color, lw, dashed, scale, radius=0.1):
    """A polyline with rounded corners; its last straight run carries the arrow head."""
    verts, codes = [points[0]], [Path.MOVETO]
    for prev, corner, nxt in zip(points, points[1:], points[2:]):
        d1 = math.dist(prev, corner)
        d2 = math.dist(corner, nxt)
        r = min(radius, d1 / 2, d2 / 2)
        a = (corner[0] - r * (corner[0] - prev[0]) / d1, corner[1] - r * (corner[1] - prev[1]) / d1)
        b = (corner[0] + r * (nxt[0] - corner[0]) / d2, corner[1] + r * (nxt[1] - corner[1]) / d2)
        verts += [a, corner, b]
        codes += [Path.LINETO, Path.CURVE3, Path.CURVE3]
    style = (0, (3, 2)) if dashed else "solid"
    if not head:
        verts.append(points[-1])
        codes.append(Path.LINETO)
        ax.add_patch(
            PathPatch(
                Path(verts, codes),
                fill=False,
                edgecolor=color,
                linewidth=lw,
                linestyle=style,
                capstyle="butt",
                zorder=2,
            )
        )
        return
    if len(verts) > 1:
        ax.add_patch(
            PathPatch(
                Path(verts, codes),
                fill=False,
                edgecolor=color,
                linewidth=lw,
                linestyle=style,
                capstyle="butt",
                zorder=2,
            )
        )
    ax.add_patch(
        FancyArrowPatch(
            verts[-1],
            points[-1],
            arrowstyle="-|>",
            mutation_scale=8 * scale,
            shrinkA=0,
            shrinkB=0,
            color=color,
            linewidth=lw,
            linestyle=style,
            zorder=2,
        )
    )


MARGIN = 0.12  # around a drawing, inches
PAD = 0.09  # inside a box, inches


def place(canvas, ax, valign="center", figsize=None):
    """Render ``canvas`` on ``ax`` (or on a new figure of its size), scaling it to fit; returns the figure."""
    x0, y0, x1, y1 = canvas.bounds
    w, h = canvas.width + 2 * MARGIN, canvas.height + 2 * MARGIN
    if ax is None:
        fig = plt.figure(figsize=figsize or (w, h))
        ax = fig.add_axes((0, 0, 1, 1))
    fig = ax.figure
    engine = getattr(fig, "get_layout_engine", lambda: None)()
    if engine is not None:  # place the axes now: the drawing is scaled to the axes' final size
        engine.execute(fig)
    pos = ax.get_position()
    aw, ah = pos.width * fig.get_figwidth(), pos.height * fig.get_figheight()
    scale = min(aw / w, ah / h)
    xr, yr = aw / scale, ah / scale
    cx = (x0 + x1) / 2
    ax.set_xlim(cx - xr / 2, cx + xr / 2)
    if valign == "top":
        ax.set_ylim(y1 + MARGIN - yr, y1 + MARGIN)
    else:
        cy = (y0 + y1) / 2
        ax.set_ylim(cy - yr / 2, cy + yr / 2)
    ax.set_axis_off()
    canvas.render(ax, scale)
    return fig

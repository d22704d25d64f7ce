"""What a training run shows while it runs: one progress bar for the whole run, and one line per epoch.

``training.train(..., progress=...)`` takes one of ``MODES`` or a writable text stream:

- ``True`` / ``"auto"``: a bar in a notebook (Jupyter, Colab, VS Code) if one runs this code, else a bar in a
  terminal if standard output is one, else the lines only (a log file, CI);
- ``"notebook"``: a bar that updates in place in the cell's output (an HTML ``<progress>`` with a text fallback,
  through ``IPython.display``'s display handles: no widget library, so ipywidgets 7 and 8 alike), and the lines;
- ``"terminal"``: a text bar redrawn in place on standard output (carriage returns), and the lines;
- ``"lines"``: one line per epoch on standard output, nothing else; a stream instead of a mode: the lines, to it;
- ``False`` / ``"quiet"``: nothing.
"""

import sys
import time

MODES = (True, False, "auto", "notebook", "terminal", "lines", "quiet")
_WIDTH = 24  # characters of the text bar
_EVERY = 0.25  # seconds between redraws of the bar


def check(progress):
    """``progress`` if it is one of ``MODES`` or a writable text stream; else a ``ValueError`` saying what is."""
    if progress is None or isinstance(progress, bool) or (isinstance(progress, str) and progress in MODES):
        return progress
    if not isinstance(progress, str) and callable(getattr(progress, "write", None)):
        return progress
    allowed = ", ".join(repr(m) for m in MODES)
    raise ValueError(f"progress must be one of {allowed}, or a writable text stream (sys.stderr); got {progress!r}.")


def in_notebook():
    """True in a Jupyter kernel (Jupyter, Colab, VS Code): where a display can be updated in place."""
    shell = sys.modules.get("IPython")
    shell = shell.get_ipython() if shell is not None and hasattr(shell, "get_ipython") else None
    return shell is not None and hasattr(shell, "kernel")


def _resolve(progress):
    if progress in (False, None, "quiet"):
        return "quiet", None
    if not isinstance(progress, (bool, str)):
        return "lines", progress
    if progress in (True, "auto"):
        if in_notebook():
            return "notebook", sys.stdout
        return ("terminal" if getattr(sys.stdout, "isatty", lambda: False)() else "lines"), sys.stdout
    return progress, sys.stdout


def epoch_line(label, epoch, epochs, logs, seconds):
    """``"1x20d  epoch 2/5  loss 0.412  accuracy 87.3%  val_loss 0.301  val_accuracy 91.1%  2.1 s"``."""
    width = len(str(epochs))
    parts = [label] if label else []
    parts.append(f"epoch {epoch:>{width}}/{epochs}")
    for key, value in logs.items():
        if key == "learning_rate":
            continue
        parts.append(f"{key} {value:.1%}" if key.endswith("accuracy") else f"{key} {value:.3f}")
    parts.append(f"{seconds:.1f} s")
    return "  ".join(parts)


def _clock(seconds):
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds} s"


class Progress:
    """One bar over ``total_steps`` training steps (several epochs, several models), and the epochs' lines."""

    def __init__(self, progress, total_steps, done_steps=0):
        self.mode, self.stream = _resolve(check(progress))
        self.total, self.done, self.first = max(int(total_steps), 1), int(done_steps), int(done_steps)
        self._start = time.perf_counter()
        self._drawn, self._handle, self._text = 0.0, None, ""

    def step(self, label, epoch, epochs, logs):
        """One training step done (of ``label``'s ``epoch`` of ``epochs``); redraws the bar now and then."""
        self.done += 1
        self._text = self._status(label, epoch, epochs, logs)
        if time.perf_counter() - self._drawn >= _EVERY:
            self._draw()

    def line(self, text):
        """Show an epoch's line (below the bar in a notebook; in a terminal, the bar is redrawn after it)."""
        if self.mode == "quiet":
            return
        if self.mode == "terminal":
            self.stream.write("\r" + " " * (len(self._bar()) + 1) + "\r")
        print(text, file=self.stream, flush=True)
        self._draw()

    def close(self):
        """Draw the bar as it ends; a terminal's moves to the next line."""
        self._draw()
        if self.mode == "terminal" and self._text:
            self.stream.write("\n")
            self.stream.flush()

    def _status(self, label, epoch, epochs, logs):
        parts = [label] if label else []
        parts.append(f"epoch {epoch}/{epochs}")
        for key in ("loss", "accuracy"):
            if key in logs:
                value = float(logs[key])
                parts.append(f"{key} {value:.1%}" if key == "accuracy" else f"{key} {value:.3f}")
        return "  ".join(parts)

    def _bar(self):
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * _WIDTH)
        elapsed = time.perf_counter() - self._start
        rate = (self.done - self.first) / elapsed if elapsed > 0 else 0.0
        left = f", ~{_clock((self.total - self.done) / rate)} left" if rate > 0 and self.done < self.total else ""
        bar = "#" * filled + "-" * (_WIDTH - filled)
        return f"[{bar}] {fraction:4.0%}  {self.done}/{self.total} steps  {self._text}  {_clock(elapsed)}{left}"

    def _draw(self):
        self._drawn = time.perf_counter()
        if self.mode in ("quiet", "lines") or not self._text:
            return
        text = self._bar()
        if self.mode == "terminal":
            self.stream.write("\r" + text)
            self.stream.flush()
            return
        from html import escape

        from IPython.display import display

        html = (
            f'<progress value="{self.done}" max="{self.total}" style="width: 18em; vertical-align: middle"></progress>'
            f" <code>{escape(text.split('] ', 1)[1])}</code>"
        )
        bundle = {"text/plain": text, "text/html": html}
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)


__all__ = ["MODES", "check", "in_notebook", "epoch_line", "Progress"]

"""resnext_edu.progress: one bar for a whole run, in a terminal and in a notebook, the epochs' lines, and the modes."""

import io
import sys

import pytest

from resnext_edu import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def run(bar, epochs=2, steps=3, label="4x8d"):
    for epoch in range(1, epochs + 1):
        for _ in range(steps):
            bar.step(label, epoch, epochs, {"loss": 1.0 / epoch, "accuracy": 0.5})
        bar.line(progress.epoch_line(label, epoch, epochs, {"loss": 1.0 / epoch, "accuracy": 0.5}, 0.25))
    bar.close()


@pytest.mark.parametrize("value", ["yes", 2, 1.0, "bar", object(), ["lines"]])
def test_progress_is_checked(value):
    with pytest.raises(ValueError, match="progress must be one of True, False, 'auto'"):
        progress.check(value)


def test_lines_to_a_stream_and_quiet(capsys):
    out = io.StringIO()
    run(progress.Progress(out, 6))
    assert out.getvalue().splitlines() == [
        "4x8d  epoch 1/2  loss 1.000  accuracy 50.0%  0.2 s",
        "4x8d  epoch 2/2  loss 0.500  accuracy 50.0%  0.2 s",
    ]
    run(progress.Progress(False, 6))
    run(progress.Progress("quiet", 6))
    assert capsys.readouterr().out == ""


def test_auto_is_lines_when_standard_output_is_not_a_terminal(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    run(progress.Progress(True, 6))
    assert "\r" not in out.getvalue() and len(out.getvalue().splitlines()) == 2


def test_a_terminal_gets_one_bar_redrawn_in_place(monkeypatch):
    out = Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(progress, "_EVERY", 0.0)  # redraw on every step
    run(progress.Progress("auto", 6))
    text = out.getvalue()
    assert text.endswith("\n") and "\x1b" not in text
    assert "[" + "#" * 24 + "] 100%  6/6 steps  4x8d  epoch 2/2  loss 0.500  accuracy 50.0%" in text
    assert "4x8d  epoch 1/2  loss 1.000" in text
    screen = text.split("\r")[-1]  # what the terminal shows last: the epochs' lines are above it
    assert screen.startswith("[" + "#" * 24 + "] 100%") and screen.count("\n") == 1


def test_a_notebook_gets_one_display_updated_in_place(monkeypatch, capsys):
    shown = []

    class Handle:
        def update(self, bundle, raw):
            shown.append(bundle)

    def display(bundle, raw, display_id):
        assert raw and display_id
        shown.append(bundle)
        return Handle()

    import IPython.display

    monkeypatch.setattr(IPython.display, "display", display)
    monkeypatch.setattr(progress, "in_notebook", lambda: True)
    bar = progress.Progress(True, 6, done_steps=3)  # a resumed run: half done already
    run(bar, epochs=1)
    assert shown and all(set(b) == {"text/plain", "text/html"} for b in shown)
    assert '<progress value="6" max="6"' in shown[-1]["text/html"] and "6/6 steps" in shown[-1]["text/plain"]
    assert capsys.readouterr().out == "4x8d  epoch 1/1  loss 1.000  accuracy 50.0%  0.2 s\n"


def test_the_bar_counts_steps_and_estimates_the_time_left():
    bar = progress.Progress("lines", 10)
    for _ in range(5):
        bar.step("", 1, 2, {})
    text = bar._bar()
    assert text.startswith("[" + "#" * 12 + "-" * 12 + "]  50%  5/10 steps  epoch 1/2") and "left" in text

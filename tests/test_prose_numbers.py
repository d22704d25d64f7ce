"""No number typed into a chapter's prose (tools/prose_numbers.py): every result, count or measurement in a markdown
cell is printed by a cell of the same chapter, or is a value of ``resnext_edu.paper`` in a sentence that cites it."""

import nbformat
import prose_numbers  # tools/prose_numbers.py (tests/conftest.py puts tools/ on the path)


def test_no_typed_number_in_the_chapter(chapter):
    typed = prose_numbers.typed_numbers(chapter)
    assert not typed, "numbers no cell prints and the paper does not report:\n" + "\n".join(map(str, typed))


# --- the check itself, on synthetic chapters ----------------------------------------------------------------


def notebook_of(markdown, printed="", path=None):
    """A notebook of one markdown cell and one code cell whose stored stdout is ``printed``."""
    code = nbformat.v4.new_code_cell("print(...)")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)] if printed else []
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown), code])
    if path is not None:
        nbformat.write(nb, path)
        return path
    return nbformat.from_dict(nb)


def found(markdown, printed=""):
    return [t.number for t in prose_numbers.typed_numbers(notebook_of(markdown, printed))]


def test_a_typed_number_fails_the_check(tmp_path, capsys):
    path = notebook_of(
        "ResNeXt-50 trains 1.37 times slower on this laptop.", "ResNeXt-50: 25,028,904", tmp_path / "c.ipynb"
    )
    assert [t.number for t in prose_numbers.typed_numbers(path)] == ["1.37"]
    assert prose_numbers.main([str(path)]) == 1
    assert "1.37" in capsys.readouterr().out


def test_a_printed_number_passes(tmp_path):
    path = notebook_of(
        "It has 25,028,904 parameters, 0.91 times the speed.", "25028904 params, 0.91x", tmp_path / "c.ipynb"
    )
    assert prose_numbers.typed_numbers(path) == []
    assert prose_numbers.main([str(path)]) == 0


def test_rounding_is_not_matching():
    """A prose "4.2" is not accepted because a cell printed 4.23, nor "25.0" because one printed 25,028,904."""
    assert found("It costs 4.2 G multiply-adds.", "4.23 G") == ["4.2"]
    assert found("It has 25.0 M parameters.", "25,028,904") == ["25.0"]
    assert found("It costs 4.23 G and 0.50 s.", "4.230 G in 0.5 s") == []  # equal as decimal numbers


def test_paper_values_count_only_where_the_sentence_cites_the_paper():
    assert found("The paper's Table 3 reports 22.2 % for ResNeXt-50.") == []
    assert found("ResNeXt-50 (32×4d) has 25.0 M parameters in Table 1.") == []
    assert found("The ResNeXts train at least 0.8 times as fast.") == ["0.8"]  # 0.8 is in Sec. 5.1, not cited
    assert found("It reached 22.2 % on our run.") == ["22.2"]


def test_what_is_not_checked():
    text = (
        "Sec. 5.1 and Secs. 3.2 and 3.3, Table 3, Fig. 7, Eq. (3), Appendix A.\n"
        "Code `lr = 0.37`, math $x = 0.37$ and $$y = 12.5$$, a [link 0.37](https://x.org/a/1.5) "
        "and <img width='0.37'>, [arXiv 1611.05431](https://arxiv.org/abs/1611.05431), arXiv:1512.03385.\n"
        "TensorFlow 2.21 and ipywidgets 7.7.1; AP@0.5; 256 channels, 224×224, 32 paths.\n\n"
        "```python\nx = 12.5\n```\n\n## 3.1 A heading"
    )
    assert found(text) == []


def test_grouped_counts_and_decimals_are_checked():
    assert found("An epoch of 45,000 images; a batch of 8,192; 1,234.5 steps; 0.5×.") == [
        "45,000",
        "8,192",
        "1,234.5",
        "0.5",
    ]


def test_numbers_in_directives_and_tables_are_prose():
    text = "````{warning}\n:class: dropdown\nIt is 3.14 times slower.\n````\n\n| a | b |\n|---|---|\n| 2.71 | x |"
    assert found(text) == ["3.14", "2.71"]

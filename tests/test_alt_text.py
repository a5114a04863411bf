"""Figures get alt text from the code that draws them (issue 15)."""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from audioml.book.alt_text import add_alt_text, alt_text, describe_figure

PNG = new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})


def test_titles_and_labels_come_from_the_code() -> None:
    code = 'ax.set(title=f"fold {k}", xlabel="time (s)")\nfig.suptitle("ESC-10")\nax.set_ylabel("mel band")'
    assert describe_figure(code) == (["fold …", "ESC-10"], {"x": "time (s)", "y": "mel band"})
    assert alt_text(code, "5.2") == "Figure: fold …; ESC-10 (x axis: time (s), y axis: mel band)."


def test_a_figure_without_titles_is_named_by_its_section_and_bad_code_does_not_break() -> None:
    assert alt_text("plt.plot(x)", "4.4 What the arrays look like") == (
        "Figure of the section “4.4 What the arrays look like”."
    )
    assert describe_figure("def (") == ([], {})


def test_only_cells_with_images_get_alt_text() -> None:
    notebook = new_notebook(
        cells=[
            new_markdown_cell("## 1.2 Sampling"),
            new_code_cell('ax.set_title("a sine")', outputs=[PNG]),
            new_code_cell("print(1)", outputs=[new_output("stream", name="stdout", text="1\n")]),
        ]
    )
    assert add_alt_text(notebook) == 1
    assert notebook.cells[1].metadata["mystnb"]["image"]["alt"] == "Figure: a sine."
    assert "mystnb" not in notebook.cells[2].metadata

"""Helpers shared by the report tests: tiny report notebooks written into a tmp folder."""

from __future__ import annotations

from pathlib import Path

import nbformat


def write_notebook(folder: Path, name: str, body: str, params: str = "", title: str = "") -> None:
    """A report notebook: the usual parameters cell, then ``body``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["title"] = title or name.capitalize()
    source = 'db: str = ""  # store\nas_of: str = ""  # date' + (f"\n{params}" if params else "")
    nb.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(body)]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{name}.ipynb")

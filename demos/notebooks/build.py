"""Build the lab notebooks from their percent-format sources: a solution and a student version of each.

A source ``demos/notebooks/<name>.py`` is split into cells on its ``# %%`` lines (jupytext's percent
format): ``# %% [markdown]`` starts a markdown cell whose lines lose their ``# `` prefix, any other
``# %%`` line starts a code cell. Inside a code cell, the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` (nbgrader's convention) are the solution: the solution notebook keeps them (without
the two marker lines), the student notebook replaces them by ``# YOUR CODE HERE`` and
``raise NotImplementedError()`` at the same indentation.

Every notebook starts with the same first cell, :data:`SETUP_CELL` (parameters, and installing
labgrad on a hosted notebook service), which the builder adds: the sources start with their title.

``python -m demos.notebooks.build`` writes ``<name>.ipynb`` (solution) and ``exercises/<name>.ipynb``
(student) next to the sources, without outputs and deterministically (fixed cell ids, sorted keys), so a
fresh build of unchanged sources is byte-identical. ``--check`` writes nothing and exits 1, naming the
files, when the committed notebooks differ from a fresh build.

Building needs only the standard library (the files are nbformat 4.5 JSON); running them needs the
``notebooks`` extra (``pip install -e '.[demos,notebooks]'``).

>>> cells = parse_percent("# %% [markdown]\\n# # Title\\n#\\n# text\\n\\n# %%\\nx = 1\\n")
>>> [(c["cell_type"], c["source"]) for c in cells]
[('markdown', '# Title\\n\\ntext'), ('code', 'x = 1')]
>>> student_source("def f(x):\\n    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION\\n")
'def f(x):\\n    # YOUR CODE HERE\\n    raise NotImplementedError()\\n'
"""
import argparse
import json
import re
import sys
from pathlib import Path

__all__ = ["NOTEBOOKS", "HERE", "SETUP_CELL", "DEFAULT_DATA", "setup_cell", "parse_percent", "student_source", "solution_source", "notebook_json", "build",
           "main"]

HERE = Path(__file__).resolve().parent
#: the notebooks, in the order a course meets them
NOTEBOOKS = ("tour", "computational_graphs", "layers_lab", "mnist_binary", "tanh_softmax", "mnist_mlp",
             "fashion_mnist")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
_CELL_MARK = re.compile(r"^# %%(?P<rest>.*)$")

KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}

#: the first cell of every notebook, written once here: parameters, and labgrad's install on a hosted service
SETUP_CELL = """# Parameters (the test suite sets them through the environment) and, on a hosted notebook service,
# installing labgrad when it is not installed. TEACHERS: set LABGRAD_REPO to your copy of the repository.
import os
import subprocess
import sys

QUICK = os.environ.get("LABGRAD_QUICK") == "1"
DATA = os.environ.get("LABGRAD_NOTEBOOK_DATA", "{data}")
LABGRAD_REPO = os.environ.get("LABGRAD_REPO", "https://github.com/YOUR-ORG/labgrad")
try:
    import nn
except ImportError:
    if "YOUR-ORG" in LABGRAD_REPO:
        raise RuntimeError("labgrad is not installed: set LABGRAD_REPO in this cell to the repository's URL, "
                           "or run pip install -e '.[demos,notebooks]' in a copy of it") from None
    subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", f"labgrad[demos] @ git+{LABGRAD_REPO}"])
    import nn
try:
    get_ipython().run_line_magic("matplotlib", "inline")   # pictures inline, whatever MPLBACKEND says
except NameError:                                           # (not in IPython: run as a plain script)
    pass"""
#: the data set a notebook's ``DATA`` defaults to (the tests set ``LABGRAD_NOTEBOOK_DATA=digits``)
DEFAULT_DATA = {"fashion_mnist": "fashion-mnist"}


def setup_cell(name):
    """The shared first cell of notebook ``name``, with its default data set."""
    return {"cell_type": "code", "source": SETUP_CELL.replace("{data}", DEFAULT_DATA.get(name, "mnist"))}


def parse_percent(text, where="<source>"):
    """Split percent-format ``text`` into cells: a list of ``{"cell_type", "source"}`` dicts.

    Text before the first ``# %%`` line must be blank. Blank lines at either end of a cell are dropped.
    """
    cells, current = [], None
    for number, line in enumerate(text.splitlines(), start=1):
        mark = _CELL_MARK.match(line)
        if mark:
            kind = "markdown" if mark.group("rest").strip().startswith("[markdown]") else "code"
            current = {"cell_type": kind, "lines": []}
            cells.append(current)
            continue
        if current is None:
            if line.strip():
                raise ValueError(f"build: {where}:{number}: text before the first '# %%' line; "
                                 "start the file with a '# %%' or '# %% [markdown]' line")
            continue
        if current["cell_type"] == "markdown":
            if line.strip() == "#":
                line = ""
            elif line.startswith("# "):
                line = line[2:]
            elif line.strip():
                raise ValueError(f"build: {where}:{number}: markdown line does not start with '# ': {line!r}; "
                                 "prefix every markdown line with '# '")
        current["lines"].append(line)
    out = []
    for cell in cells:
        source = "\n".join(cell["lines"]).strip("\n")
        out.append({"cell_type": cell["cell_type"], "source": source})
    return out


def _solution_blocks(source, keep):
    lines, result, inside = source.split("\n"), [], None
    for line in lines:
        stripped = line.strip()
        if stripped == BEGIN:
            if inside is not None:
                raise ValueError(f"build: nested '{BEGIN}'; close the first block with '{END}'")
            inside = line[:len(line) - len(line.lstrip())]
            if not keep:
                result += [inside + "# YOUR CODE HERE", inside + "raise NotImplementedError()"]
        elif stripped == END:
            if inside is None:
                raise ValueError(f"build: '{END}' without '{BEGIN}'")
            inside = None
        elif inside is None or keep:
            result.append(line)
    if inside is not None:
        raise ValueError(f"build: '{BEGIN}' without '{END}'; close the block")
    return "\n".join(result)


def solution_source(source):
    """The solution version of a code cell: the solution lines kept, the marker lines dropped."""
    return _solution_blocks(source, keep=True)


def student_source(source):
    """The student version of a code cell: each solution block replaced by ``raise NotImplementedError()``."""
    return _solution_blocks(source, keep=False)


def notebook_json(cells, version, name):
    """The nbformat 4.5 JSON text of ``cells`` (from :func:`parse_percent`), ``version`` "solution"/"student"."""
    transform = solution_source if version == "solution" else student_source
    nb_cells = []
    for index, cell in enumerate(cells):
        source = cell["source"]
        entry = {"cell_type": cell["cell_type"], "id": f"{name.replace('_', '-')}-{index:02d}", "metadata": {}}
        if cell["cell_type"] == "code":
            source = transform(source)
            entry.update(execution_count=None, outputs=[])
        lines = source.split("\n")
        entry["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        nb_cells.append(entry)
    notebook = {"cells": nb_cells, "metadata": {"kernelspec": KERNEL, "language_info": {"name": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def build(names=NOTEBOOKS, folder=HERE):
    """Fresh builds: ``{path: text}`` for the solution and (if it has exercises) student notebook of each source."""
    built = {}
    for name in names:
        source = folder / f"{name}.py"
        if not source.exists():
            continue
        cells = [setup_cell(name)] + parse_percent(source.read_text(encoding="utf-8"), where=str(source))
        built[folder / f"{name}.ipynb"] = notebook_json(cells, "solution", name)
        if any(BEGIN in cell["source"] for cell in cells):     # a notebook without exercises has no student version
            built[folder / "exercises" / f"{name}.ipynb"] = notebook_json(cells, "student", name)
    return built


def main(argv=None, folder=HERE):
    parser = argparse.ArgumentParser(prog="python -m demos.notebooks.build", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a committed notebook differs from a fresh build")
    args = parser.parse_args(argv)
    built = build(folder=folder)
    stale = [path for path, text in built.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path}; run python -m demos.notebooks.build",
                  file=sys.stderr)
        if not stale:
            print(f"{len(built)} notebooks up to date")
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(built[path], encoding="utf-8")
        print(f"wrote {path}")
    print(f"{len(built)} notebooks built ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The lab notebooks (demos/notebooks/): built from their sources, run top to bottom, checks behave.

- the committed ``.ipynb`` equal a fresh ``python -m demos.notebooks.build`` (and carry no outputs);
- every solution notebook runs without a cell error, and every check cell prints "check passed";
- every student notebook (exercises/) fails each check cell with the "not done yet" message of
  ``check_backward`` and has no other cell error.
- no notebook writes a file into its working directory (the student's folder): pictures show inline;
- the data notebooks load through ``demos.common.notebook_data``, whose errors say what to set in the
  notebook (``DATA = "digits"``, ``DOWNLOAD = True``), not command-line flags.

The notebooks run in quick mode on the embedded scikit-learn digits (``LABGRAD_QUICK=1``,
``LABGRAD_NOTEBOOK_DATA=digits``), in a temporary working directory, one kernel each.
"""
import json
import os
import re

import numpy as np
import pytest

from demos import common
from demos.notebooks import build
from demo_helpers import fake_mnist

SOLUTIONS = [build.HERE / f"{name}.ipynb" for name in build.NOTEBOOKS if (build.HERE / f"{name}.py").exists()]
STUDENTS = [build.HERE / "exercises" / p.name for p in SOLUTIONS if (build.HERE / "exercises" / p.name).exists()]
WITHOUT_EXERCISES = {"tour"}
#: hints a blank exercise's check must show: notebook -> check name -> words of the hint
HINTS = {"mnist_binary": {"he_init": "draw with rng.standard_normal, not np.random",
                          "sgd_step": "θ − lr·grad, with the engine's gradients"}}          # the tour shows; the labs' notebooks have the exercises


def _is_check_cell(cell):
    return cell.cell_type == "code" and "check_backward(" in cell.source


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def _working_dir(tmp_path):
    """The notebook's working directory: a student's folder, where a notebook must write nothing."""
    folder = tmp_path / "working-dir"
    folder.mkdir(exist_ok=True)
    return folder


def _run(path, tmp_path, allow_errors, data="digits"):
    nbclient = pytest.importorskip("nbclient", reason="running the notebooks needs the notebooks extra: "
                                   "pip install -e '.[test]' (nbclient, nbformat, ipykernel)")
    nbformat = pytest.importorskip("nbformat", reason="needs nbformat (the test extra)")
    pytest.importorskip("ipykernel", reason="needs ipykernel (the test extra)")
    notebook = nbformat.read(path, as_version=4)
    env = dict(LABGRAD_QUICK="1", LABGRAD_NOTEBOOK_DATA=data, MPLBACKEND="Agg")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)             # the kernel inherits the test process's environment
    try:
        client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=allow_errors,
                                         resources={"metadata": {"path": str(_working_dir(tmp_path))}})
        client.execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return notebook


def test_every_lab_has_a_notebook_and_a_student_version():
    assert {p.stem for p in SOLUTIONS} == set(build.NOTEBOOKS), "a notebook source is missing"
    assert {p.stem for p in STUDENTS} == set(build.NOTEBOOKS) - WITHOUT_EXERCISES


@pytest.mark.parametrize("path", SOLUTIONS + STUDENTS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_committed_notebook_equals_a_fresh_build_without_outputs(path):
    fresh = build.build()
    assert path.read_text(encoding="utf-8") == fresh[path], \
        f"{path.name} is out of date: run python -m demos.notebooks.build"
    cells = json.loads(fresh[path])["cells"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in cells if c["cell_type"] == "code")


def test_the_student_version_blanks_every_solution_and_keeps_the_checks():
    for student in STUDENTS:
        solution = build.HERE / student.name
        text = student.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text, student.name
        assert "BEGIN SOLUTION" not in solution.read_text(encoding="utf-8"), solution.name
        assert text.count("check_backward(") == solution.read_text(encoding="utf-8").count("check_backward("), \
            student.name


def test_build_writes_both_versions_and_check_flags_a_stale_one(tmp_path, capsys):
    source = build.HERE / f"{build.NOTEBOOKS[1]}.py"
    (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert build.main(["--check"], folder=tmp_path) == 1            # nothing built yet
    assert build.main([], folder=tmp_path) == 0
    assert build.main(["--check"], folder=tmp_path) == 0
    student = tmp_path / "exercises" / f"{source.stem}.ipynb"
    student.write_text(student.read_text(encoding="utf-8").replace("YOUR CODE HERE", "edited"), encoding="utf-8")
    capsys.readouterr()
    assert build.main(["--check"], folder=tmp_path) == 1
    err = capsys.readouterr().err
    assert "out of date" in err and f"exercises/{student.name}" in err


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_notebook_runs_and_passes_its_checks(path, tmp_path):
    notebook = _run(path, tmp_path, allow_errors=False)
    checks = [c for c in notebook.cells if _is_check_cell(c)]
    assert checks or path.stem in WITHOUT_EXERCISES, f"{path.name} has no check cell"
    assert not [e for c in notebook.cells for e in _errors(c)]
    for cell in checks:
        assert "check passed" in _stdout(cell), f"{path.name}: check cell did not pass:\n{cell.source}"
    shown = {kind for c in notebook.cells for o in c.get("outputs", []) for kind in o.get("data", {})}
    assert "image/png" in shown or "image/svg+xml" in shown, f"{path.name}: no picture shown inline"
    assert not list(_working_dir(tmp_path).iterdir()), f"{path.name} wrote files into the student's folder"


@pytest.mark.parametrize("path", STUDENTS, ids=lambda p: p.stem)
def test_student_notebook_fails_each_check_with_not_done_yet(path, tmp_path):
    notebook = _run(path, tmp_path, allow_errors=True)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        errors = _errors(cell)
        if _is_check_cell(cell):
            assert errors, f"{path.name}: a blank exercise passed its check:\n{cell.source}"
            assert errors[0].ename in ("AssertionError", "CheckFailed") and "not done yet" in errors[0].evalue, \
                f"{path.name}: unexpected failure {errors[0].ename}: {errors[0].evalue}"
            for check, hint in HINTS.get(path.stem, {}).items():
                if f'name="{check}"' in cell.source:
                    assert hint in errors[0].evalue, f"{path.name}: {check}'s check does not give its hint"
        else:
            assert not errors, (f"{path.name}: cell errored outside a check: {errors[0].ename}: "
                                f"{errors[0].evalue}\n{cell.source}")
    assert not list(_working_dir(tmp_path).iterdir()), f"{path.name} wrote files into the student's folder"


def test_builder_doctests():
    import doctest
    assert doctest.testmod(build).failed == 0


@pytest.mark.parametrize("text, message", [
    ("x = 1\n# %%\ny = 2\n", "text before the first '# %%' line"),
    ("# %% [markdown]\nno prefix\n", "markdown line does not start with '# '"),
    ("# %%\n### BEGIN SOLUTION\nx = 1\n", "without '### END SOLUTION'"),
    ("# %%\nx = 1\n### END SOLUTION\n", "without '### BEGIN SOLUTION'"),
])
def test_builder_rejects_a_malformed_source_with_a_clear_error(text, message):
    with pytest.raises(ValueError, match="build: ") as failure:
        build.notebook_json(build.parse_percent(text), "student", "x")
    assert message in str(failure.value)


# --- loading data in a notebook (demos.common.notebook_data) ------------------------------------------

DATA_NOTEBOOKS = [p for p in SOLUTIONS if "DATA" in "".join(c["source"] for c in build.parse_percent(
    (build.HERE / f"{p.stem}.py").read_text()))]


@pytest.mark.parametrize("path", DATA_NOTEBOOKS, ids=lambda p: p.stem)
def test_every_data_notebook_loads_through_notebook_data(path):
    source = (build.HERE / f"{path.stem}.py").read_text()
    assert "common.notebook_data(DATA, download=DOWNLOAD)" in source
    assert "load_data(" not in source and "data is None" not in source     # no second, hand-written fix


@pytest.mark.parametrize("choice, title", [("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST")])
def test_notebook_data_without_files_says_what_to_set_in_the_notebook(choice, title, no_data_env, monkeypatch,
                                                                       tmp_path):
    empty = tmp_path / "data"
    empty.mkdir()
    monkeypatch.setenv("LABGRAD_DATA", str(empty))
    if nn_data_system_folder_has_files(choice):
        pytest.skip(f"{title} is installed in a system folder here")
    with pytest.raises(FileNotFoundError) as info:
        common.notebook_data(choice)
    message = str(info.value)
    assert message.startswith(f"notebook_data: no {title} files found")
    assert str(empty / choice) in message                           # where it looked
    assert 'set DATA = "digits" in the first cell' in message
    assert "DOWNLOAD = True" in message
    import nn.data

    def offline(url, timeout):
        raise OSError("network unreachable (test)")
    monkeypatch.setattr(nn.data, "urlopen", offline)
    with pytest.raises(FileNotFoundError) as info:              # asked to download, failed: no advice
        common.notebook_data(choice, download=True)             # to set what is already set
    assert "network unreachable (test)" in str(info.value)
    assert "DOWNLOAD = True" not in str(info.value) and 'set DATA = "digits"' in str(info.value)
    assert not re.search(r"(^|\s)--[a-z]", message) and "python -m" not in message and "root=" not in message


def nn_data_system_folder_has_files(choice):
    import nn.data
    try:
        nn.data.locate(choice)
    except FileNotFoundError:
        return False
    return True


def test_notebook_data_with_a_damaged_file_names_it(no_data_env, monkeypatch, tmp_path):
    folder = fake_mnist(tmp_path / "mnist")
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(b"<html>not found</html>")
    monkeypatch.setenv("LABGRAD_MNIST_DIR", str(folder))
    with pytest.raises(ValueError, match=r"notebook_data: read_idx: .*t10k-labels.*bad magic number(.|\n)*"
                                         r'set DATA = "digits"'):
        common.notebook_data("mnist")


def test_notebook_data_loads_what_load_data_loads(no_data_env, monkeypatch, tmp_path):
    import argparse
    folder = fake_mnist(tmp_path / "mnist")
    monkeypatch.setenv("LABGRAD_MNIST_DIR", str(folder))
    for choice in ("mnist", "digits"):
        mine = common.notebook_data(choice)
        theirs = common.load_data(argparse.Namespace(data=choice, data_dir=None, download=False))
        assert mine.name == theirs.name and mine.source == theirs.source
        assert (mine.X_train == theirs.X_train).all() and (mine.y_test == theirs.y_test).all()
    with pytest.raises(ValueError, match="notebook_data: unknown DATA 'cifar'"):
        common.notebook_data("cifar")


def test_a_notebook_without_its_data_stops_with_the_notebook_advice(no_data_env, monkeypatch, tmp_path):
    monkeypatch.setenv("LABGRAD_DATA", str(tmp_path / "no-data"))
    if nn_data_system_folder_has_files("mnist"):
        pytest.skip("MNIST is installed in a system folder here")
    notebook = _run(build.HERE / "tour.ipynb", tmp_path, allow_errors=True, data="mnist")
    errors = [e for c in notebook.cells for e in _errors(c)]
    assert errors, "the tour ran without MNIST files"
    assert errors[0].ename == "FileNotFoundError" and 'set DATA = "digits"' in errors[0].evalue


def _exercise_namespace(name):
    """The solution source of notebook ``name`` executed up to its data cell: its functions, no training."""
    pytest.importorskip("IPython", reason="the notebooks import IPython.display (the test extra)")
    namespace = {}
    for cell in build.parse_percent((build.HERE / f"{name}.py").read_text()):
        if cell["cell_type"] != "code":
            continue
        if "notebook_data(" in cell["source"]:
            break
        exec(compile(cell["source"], f"{name}.py", "exec"), namespace)
    return namespace


def test_tanh_softmax_reference_uses_the_Y_it_is_given(capsys):
    ns = _exercise_namespace("tanh_softmax")
    rng = np.random.default_rng(1)
    Z = rng.standard_normal((8, 4))
    Y = np.eye(4)[(np.argmax(ns["Y"], axis=1) + 1) % 4]        # other labels than the notebook's global Y
    assert np.allclose(ns["labgrad_softmax_cross_entropy_grad"](Z, Y), ns["softmax_cross_entropy_grad"](Z, Y))
    assert np.isclose(ns["labgrad_softmax_cross_entropy"](Z, Y), ns["softmax_cross_entropy"](Z, Y))

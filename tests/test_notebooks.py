"""The lab notebooks (demos/notebooks/): built from their sources, run top to bottom, checks behave.

- the committed ``.ipynb`` equal a fresh ``python -m demos.notebooks.build`` (and carry no outputs);
- every solution notebook runs without a cell error, and every check cell prints "check passed";
- every student notebook (exercises/) fails each check cell with the "not done yet" message of
  ``check_backward`` and has no other cell error.

The notebooks run in quick mode on the embedded scikit-learn digits (``LABGRAD_QUICK=1``,
``LABGRAD_NOTEBOOK_DATA=digits``), in a temporary working directory, one kernel each.
"""
import json
import os

import pytest

from demos.notebooks import build

SOLUTIONS = [build.HERE / f"{name}.ipynb" for name in build.NOTEBOOKS if (build.HERE / f"{name}.py").exists()]
STUDENTS = [build.HERE / "exercises" / p.name for p in SOLUTIONS if (build.HERE / "exercises" / p.name).exists()]
WITHOUT_EXERCISES = {"tour"}          # the tour shows; the labs' notebooks have the exercises


def _is_check_cell(cell):
    return cell.cell_type == "code" and "check_backward(" in cell.source


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.output_type == "error"]


def _stdout(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.output_type == "stream")


def _run(path, tmp_path, allow_errors):
    nbclient = pytest.importorskip("nbclient", reason="running the notebooks needs the notebooks extra: "
                                   "pip install -e '.[test]' (nbclient, nbformat, ipykernel)")
    nbformat = pytest.importorskip("nbformat", reason="needs nbformat (the test extra)")
    pytest.importorskip("ipykernel", reason="needs ipykernel (the test extra)")
    notebook = nbformat.read(path, as_version=4)
    env = dict(LABGRAD_QUICK="1", LABGRAD_NOTEBOOK_DATA="digits", MPLBACKEND="Agg")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)             # the kernel inherits the test process's environment
    try:
        client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=allow_errors,
                                         resources={"metadata": {"path": str(tmp_path)}})
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


@pytest.mark.parametrize("path", STUDENTS, ids=lambda p: p.stem)
def test_student_notebook_fails_each_check_with_not_done_yet(path, tmp_path):
    notebook = _run(path, tmp_path, allow_errors=True)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        errors = _errors(cell)
        if _is_check_cell(cell):
            assert errors, f"{path.name}: a blank exercise passed its check:\n{cell.source}"
            assert errors[0].ename == "AssertionError" and "not done yet" in errors[0].evalue, \
                f"{path.name}: unexpected failure {errors[0].ename}: {errors[0].evalue}"
        else:
            assert not errors, (f"{path.name}: cell errored outside a check: {errors[0].ename}: "
                                f"{errors[0].evalue}\n{cell.source}")


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

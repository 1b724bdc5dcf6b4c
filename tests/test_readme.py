"""The README's two commands are the ones CI and users run: keep them in sync with .ci/run."""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _bash_blocks():
    return re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)


def test_readme_starts_with_demo_and_test_commands():
    demo, tests = (b.strip() for b in _bash_blocks()[:2])
    assert demo.endswith("python -m demos")
    assert "python -m pytest" in tests and ".[test,demos]" in tests


def test_ci_runs_the_readme_test_command():
    test_command = _bash_blocks()[1].strip()
    ci_lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_command in ci_lines


def _layout_rows():
    section = (ROOT / "README.md").read_text().split("\n## Layout", 1)[1].split("\n## ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| `")]


def _listed(path, rows):
    """A module is listed by its own path, or in the row of its folder that names the file."""
    folder = path.rsplit("/", 1)[0] + "/"
    return any(f"`{path}`" in row or (f"`{folder}`" in row.split("|")[1] and f"`{path.rsplit('/', 1)[1]}`" in row)
               for row in rows)


def test_the_layout_table_lists_every_module():
    rows = _layout_rows()
    modules = sorted(str(p.relative_to(ROOT)) for pkg in ("autograd", "nn", "demos") for p in (ROOT / pkg).rglob("*.py"))
    missing = [m for m in modules if not _listed(m, rows)]
    assert not missing, f"README's layout table does not list: {missing}"


def test_the_layout_check_sees_a_missing_module():
    rows = ["| `autograd/engine.py` | the walk |", "| `autograd/ops/` | `shape.py`, `reduce.py` |"]
    assert _listed("autograd/engine.py", rows) and _listed("autograd/ops/shape.py", rows)
    assert not _listed("autograd/viz.py", rows) and not _listed("autograd/ops/linalg.py", rows)

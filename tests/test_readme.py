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

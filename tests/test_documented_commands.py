"""Every ``python -m ...`` command README.md documents runs, as a user runs it, in its quick mode.

Each command runs in a subprocess (``sys.executable -m``) from an empty folder, with ``--out`` in that
folder, data the test makes (a tiny MNIST-format folder from ``demo_helpers.fake_mnist``) or the digits
that ship with scikit-learn, no ``LABGRAD_*`` variable and an empty user cache: no network, no
``../shared``. It must exit 0, print no traceback and no warning on stderr, and write nothing outside its
``--out`` folder. A meta-test reads README.md and fails when it documents a command (or an option of one)
that the table below does not run.
"""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from demo_helpers import fake_mnist

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# module -> the options it runs with; "{out}" and "{data}" are filled in per test (an --out folder in the
# run's empty working folder, and a fake MNIST-format folder). Every option README.md shows for a module
# must appear here (the meta-test checks), plus what makes the run quick and self-contained.
COMMANDS = {
    "demos": ["--quick", "--out", "{out}"],
    "demos.computational_graphs": ["--quick", "--out", "{out}"],
    "demos.layers_lab": ["--quick", "--data", "digits", "--out", "{out}"],
    "demos.mnist_binary": ["--quick", "--data-dir", "{data}", "--out", "{out}"],
    "demos.mnist_mlp": ["--quick", "--data-dir", "{data}", "--out", "{out}"],
    "demos.tanh_softmax": ["--quick", "--data-dir", "{data}", "--out", "{out}"],
    "demos.fashion_mnist": ["--quick", "--compare-torch", "--data-dir", "{data}", "--out", "{out}"],
    "demos.fashion_cnn": ["--quick", "--compare-torch", "--compile", "--data", "digits", "--out", "{out}"],
    "demos.derivatives": ["--quick", "--out", "{out}"],
    "demos.benchmark": ["--quick"],
    "autograd.viz": ["--out", "{out}"],
    "demos.notebooks.build": ["--check"],     # writes nothing; exit 0 when the committed notebooks are fresh
}

# README.md also shows how to set up and test the project; those commands are not labgrad's to run here.
NOT_LABGRAD = {
    "venv": "python3 -m venv .venv: creates the virtualenv",
    "pytest": "python -m pytest: the suite this test is part of",
}

PROBLEMS_ON_STDERR = re.compile(r"Traceback \(most recent call last\)|\w*Warning\b")


def _documented_commands(text):
    """{module: set of options} for every ``python -m module ...`` in ``text`` (code blocks and inline)."""
    found = {}
    for module, rest in re.findall(r"\bpython3? -m ([\w.]+)((?:[ \t]+[^\s`&|;]+)*)", text):  # up to && | ; `
        found.setdefault(module, set()).update(w.split("=")[0] for w in rest.split() if w.startswith("--"))
    return found


@pytest.mark.parametrize("text, expected", [
    ("Run `python -m demos.x --data-dir DIR` now", {"demos.x": {"--data-dir"}}),
    ("```bash\npython -m demos --quick --out=o && python -m pytest -q\n```", {"demos": {"--quick", "--out"},
                                                                             "pytest": set()}),
    ("python3 -m venv .venv && . .venv/bin/activate\npython -m autograd.viz", {"venv": set(), "autograd.viz": set()}),
    ("`python -m a.b` and, later, `python -m a.b --flag`", {"a.b": {"--flag"}}),
])
def test_documented_commands_are_found(text, expected):
    assert _documented_commands(text) == expected


def test_readme_documents_only_commands_this_file_runs():
    documented = _documented_commands(README.read_text())
    assert {"demos", "demos.benchmark", "autograd.viz"} <= set(documented), documented  # the parser works
    untested = sorted(set(documented) - set(COMMANDS) - set(NOT_LABGRAD))
    assert not untested, (f"README.md documents python -m {', '.join(untested)}, which COMMANDS in "
                          f"{Path(__file__).name} does not run: add it to the table")
    for module, options in documented.items():
        missing = sorted(options - set(COMMANDS.get(module, options)))
        assert not missing, (f"README.md shows python -m {module} with {', '.join(missing)}, "
                             f"which {Path(__file__).name} does not run it with: add to COMMANDS")


def _user_env(tmp_path):
    """The caller's environment without any labgrad data-set variable, a fresh user cache, no display,
    and this checkout importable from any folder (as after ``pip install -e .``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABGRAD_")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "cache"), MPLCONFIGDIR=str(tmp_path / "mplconfig"),
               MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])))
    env.pop("PYTHONWARNINGS", None)
    return env


@pytest.mark.parametrize("module", list(COMMANDS))
def test_documented_command_runs(module, tmp_path):
    if module.startswith("demos") and module != "demos.benchmark":
        pytest.importorskip("matplotlib")        # the labs' figures: README installs it with .[demos]
    cwd = tmp_path / "cwd"
    out = cwd / "out"
    cwd.mkdir()
    data = fake_mnist(tmp_path / "mnist") if "{data}" in COMMANDS[module] else None
    args = [a.format(out=out, data=data) for a in COMMANDS[module]]
    command = [sys.executable, "-m", module, *args]
    t0 = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, env=_user_env(tmp_path), capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - t0
    shown = f"python -m {module} {' '.join(args)} ({seconds:.1f} s)"
    assert run.returncode == 0, f"{shown} exited with {run.returncode}; stderr:\n{run.stderr}\nstdout:\n{run.stdout}"
    problems = PROBLEMS_ON_STDERR.findall(run.stderr)
    assert not problems, f"{shown} printed {sorted(set(problems))} on stderr:\n{run.stderr}"
    assert run.stdout.strip(), f"{shown} printed nothing"
    written = sorted(p.name for p in cwd.iterdir())
    assert written in ([], ["out"]), f"{shown} wrote {written} into its working folder, not only under --out"


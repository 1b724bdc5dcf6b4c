"""HIPS autograd (PyPI 'autograd') and labgrad both install a package named `autograd`.

Installed into one virtualenv they share `site-packages/autograd/`: HIPS's `__init__.py` wins, and
uninstalling HIPS then leaves that folder without an `__init__.py` (a namespace package). Importing `nn`
or `demos` must then say what happened and how to recover, instead of "cannot import name 'Tensor'".
Each case runs in a fresh interpreter with the foreign `autograd` planted in `sys.modules` first.
"""
import subprocess
import sys

import pytest

PLANT = {
    "hips": "m = types.ModuleType('autograd'); m.__file__ = '/venv/site-packages/autograd/__init__.py'; "
            "m.grad = lambda f: f",
    "namespace": "m = types.ModuleType('autograd'); m.__file__ = None; "
                 "m.__path__ = ['/venv/site-packages/autograd']",
}
EXPECTED = {
    "hips": ["is not labgrad's", "HIPS autograd", "cannot share a virtualenv", "pip uninstall autograd labgrad"],
    "namespace": ["has no __init__.py", "HIPS autograd", "pip install --force-reinstall --no-deps ."],
}


def _import_with_foreign_autograd(case, module):
    code = f"import sys, types\n{PLANT[case]}\nsys.modules['autograd'] = m\nimport {module}\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("module", ["nn", "demos", "demos.computational_graphs"])
@pytest.mark.parametrize("case", sorted(PLANT))
def test_importing_with_a_foreign_autograd_says_what_happened(case, module):
    result = _import_with_foreign_autograd(case, module)
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: labgrad: the package 'autograd'"), result.stderr
    for phrase in EXPECTED[case]:
        assert phrase in last_line, (phrase, last_line)
    assert "cannot import name" not in result.stderr


def test_labgrads_own_autograd_passes_the_check():
    result = subprocess.run([sys.executable, "-c", "import nn, demos, autograd; print(autograd.Tensor.__name__)"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Tensor"

"""demos.common.run_demo: the one body of every demo's main()."""
import sys

import pytest

from demos import common


def _args(tmp_path, *extra):
    return common.make_parser("t", "t", epochs=1, batch_size=8, lr=0.1).parse_args(
        ["--out", str(tmp_path / "out"), *extra])


def test_run_demo_creates_the_output_folder_and_returns_the_bodys_code(tmp_path, capsys):
    calls = []

    def body(args, out):
        calls.append((args.epochs, out))
        return 7
    assert common.run_demo(_args(tmp_path), body, "numpy") == 7
    assert calls == [(1, tmp_path / "out")] and (tmp_path / "out").is_dir()
    out = capsys.readouterr().out
    assert out.index("numpy BLAS threads: 1") < out.index(f"figures go to {tmp_path / 'out'}/")


def test_run_demo_stops_before_the_body_when_an_extra_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)         # import matplotlib now fails
    body_ran = []
    assert common.run_demo(_args(tmp_path), lambda args, out: body_ran.append(1), "matplotlib") == 2
    assert body_ran == [] and not (tmp_path / "out").exists()
    assert "needs matplotlib" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["demos.__main__", "demos.computational_graphs", "demos.layers_lab",
                                    "demos.mnist_binary", "demos.mnist_mlp", "demos.tanh_softmax",
                                    "demos.fashion_mnist"])
def test_every_demo_main_goes_through_run_demo(module, monkeypatch, tmp_path):
    import importlib
    demo = importlib.import_module(module)
    seen = []
    monkeypatch.setattr(common, "run_demo", lambda args, body, *extras: seen.append((body, extras)) or 0)
    assert demo.main(["--out", str(tmp_path)]) == 0
    assert len(seen) == 1 and callable(seen[0][0])

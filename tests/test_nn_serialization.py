"""nn.serialization: .npz round trips without pickle; refused loads change nothing."""
import os
import pickle
import zipfile

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.serialization import load, save

RAN = []


def _payload():
    RAN.append("pickle payload ran")


class Evil:
    """Unpickling this calls _payload: the proof that a load ran code."""

    def __reduce__(self):
        return (_payload, ())


def make_model(seed):
    return nn.Sequential(nn.Linear(4, 6, rng=seed), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3, rng=seed + 1))


def test_round_trip_into_a_model(tmp_path):
    model = make_model(0)
    model(np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32))      # move BatchNorm's buffers
    path = save(model, tmp_path / "model.npz")
    assert path == str(tmp_path / "model.npz")
    fresh = make_model(10)
    assert load(path, fresh) is fresh
    before, after = model.state_dict(), fresh.state_dict()
    assert list(after) == list(before)
    for k in before:
        assert after[k].dtype == before[k].dtype and after[k].shape == before[k].shape
        np.testing.assert_array_equal(after[k], before[k])
    assert after["1.num_batches_tracked"] == 1 and after["0.weight"].dtype == np.float32
    x = np.ones((2, 4), np.float32)
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).data, model(x).data)


def test_archive_is_plain_npz_without_pickle(tmp_path):
    state = {"a": np.arange(6, dtype=np.int16).reshape(2, 3), "b": Tensor(np.float64(2.5)),
             "file": np.zeros(2), "allow_pickle": np.ones(1, np.float32)}          # names np.savez could not take
    path = save(state, tmp_path / "state.bin")                                    # used as given: no .npz added
    assert os.listdir(tmp_path) == ["state.bin"]
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == ["a", "allow_pickle", "b", "file"]
        np.testing.assert_array_equal(npz["a"], state["a"])
    loaded = load(path)
    assert loaded["a"].dtype == np.int16 and loaded["b"].shape == () and float(loaded["b"]) == 2.5
    assert loaded["allow_pickle"].dtype == np.float32


def test_object_arrays_are_refused_and_the_old_file_survives(tmp_path):
    path = tmp_path / "m.npz"
    save({"w": np.ones(3)}, path)
    with pytest.raises(TypeError, match=r"save: 'bad' has dtype object"):
        save({"w": np.zeros(3), "bad": np.array([Evil()], dtype=object)}, path)
    np.testing.assert_array_equal(load(path)["w"], np.ones(3))
    assert os.listdir(tmp_path) == ["m.npz"]                   # no temporary file left behind
    with pytest.raises(TypeError, match="state keys must be non-empty strings"):
        save({1: np.ones(1)}, path)
    with pytest.raises(TypeError, match="expected a Module or a dict"):
        save([np.ones(1)], path)


def test_loading_never_runs_pickled_code(tmp_path):
    RAN.clear()
    evil_npz = tmp_path / "evil.npz"
    np.savez(evil_npz, w=np.ones(2), x=np.array([Evil()], dtype=object))      # numpy pickles the object array
    with pytest.raises(ValueError, match=r"evil.npz: entry 'x' is unreadable"):
        load(evil_npz)
    evil_pickle = tmp_path / "evil.pkl"
    evil_pickle.write_bytes(pickle.dumps({"w": Evil()}))
    with pytest.raises(ValueError, match=r"evil.pkl is not an .npz archive") as info:
        load(evil_pickle)
    assert "allow_pickle" not in str(info.value)                      # (issue #14: unsafe advice)
    assert RAN == []


def test_no_error_of_load_advises_allow_pickle(tmp_path):
    evil_npz = tmp_path / "evil.npz"
    np.savez(evil_npz, x=np.array([Evil()], dtype=object))
    with pytest.raises(ValueError, match="never unpickles") as info:
        load(evil_npz)
    assert "allow_pickle" not in str(info.value)
    text = tmp_path / "weights.txt"
    text.write_text("0.5 0.25\n")
    with pytest.raises(ValueError, match=r"weights.txt is not an .npz archive") as info:
        load(text)
    assert "allow_pickle" not in str(info.value)
    with zipfile.ZipFile(tmp_path / "ckpt.pt", "w") as zf:           # the layout of a torch.save file
        zf.writestr("ckpt/data.pkl", pickle.dumps({"w": 1}))
        zf.writestr("ckpt/data/0", b"\0" * 8)
    with pytest.raises(ValueError, match="not an .npz of arrays.*torch.load"):
        load(tmp_path / "ckpt.pt")
    assert RAN == []


def test_refused_loads_leave_the_model_unchanged(tmp_path):
    model = make_model(0)
    before = model.state_dict()
    other = make_model(5).state_dict()
    cases = {
        "shape": {**other, "0.weight": np.zeros((6, 4), np.float32)},                      # transposed
        "missing": {k: v for k, v in other.items() if k != "3.bias"},
        "unexpected": {**other, "extra": np.zeros(1)},
    }
    for case, state in cases.items():
        path = save(state, tmp_path / f"{case}.npz")
        with pytest.raises(ValueError, match="nothing was loaded"):
            load(path, model)
        after = model.state_dict()
        assert all(np.array_equal(after[k], before[k]) for k in before), case


def test_unreadable_files(tmp_path):
    np.save(tmp_path / "single.npy", np.ones(3))
    with pytest.raises(ValueError, match="holds a single .npy array"):
        load(tmp_path / "single.npy")
    save({"w": np.ones(1000)}, tmp_path / "ok.npz")
    blob = (tmp_path / "ok.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="cut.npz"):
        load(tmp_path / "cut.npz")
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.npz is not an .npz archive"):
        load(tmp_path / "empty.npz")
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.npz")
    assert zipfile.is_zipfile(tmp_path / "ok.npz")


def test_save_gives_the_file_ordinary_permissions_and_names_a_missing_folder(tmp_path):
    path = nn.save({"w": np.ones(2)}, tmp_path / "w.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(FileNotFoundError, match="no folder"):
        nn.save({"w": np.ones(2)}, tmp_path / "missing" / "w.npz")

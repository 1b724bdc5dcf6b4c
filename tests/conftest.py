"""Hypothesis profiles: 'dev' (default, quick) and 'ci' (no deadline, more examples; set by CI=true)."""
import os

import pytest

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """Only what a test passes is reachable: dataset variables cleared, user cache redirected."""
    for var in ("LABGRAD_MNIST_DIR", "LABGRAD_FASHION_MNIST_DIR", "LABGRAD_DATA"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """PyTorch on tiny tensors with its thread pool on shared cores: 50 ms a call; one thread: 3 ms."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

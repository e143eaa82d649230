"""The thread policy: one thread unless OMP_NUM_THREADS or env_cfg.num_threads says otherwise."""
from __future__ import annotations

import pytest
import torch

from mm_cl_addon.engine.threads import apply_thread_policy, chosen_threads


@pytest.fixture(autouse=True)
def _keep_threads(monkeypatch):
    before = torch.get_num_threads()
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    monkeypatch.delenv('LOCAL_WORLD_SIZE', raising=False)
    yield
    torch.set_num_threads(before)


def test_one_thread_by_default_and_the_config_wins_over_the_environment(monkeypatch):
    assert chosen_threads(None) == (1, 'default')
    assert chosen_threads(dict(num_threads=3)) == (3, 'env_cfg.num_threads')
    monkeypatch.setenv('OMP_NUM_THREADS', '2')
    assert chosen_threads(None) == (None, 'OMP_NUM_THREADS')
    assert chosen_threads(dict(num_threads='auto')) == (None, 'OMP_NUM_THREADS')
    assert chosen_threads(dict(num_threads=3)) == (3, 'env_cfg.num_threads')


def test_auto_shares_the_cores_among_the_local_processes(monkeypatch):
    monkeypatch.setattr('os.cpu_count', lambda: 8)
    assert chosen_threads(dict(num_threads='auto'))[0] == 8
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '3')
    assert chosen_threads(dict(num_threads='auto'))[0] == 2


@pytest.mark.parametrize('value', [0, -1, 1.5, True, 'all'])
def test_bad_values_name_the_key(value):
    with pytest.raises(ValueError, match=rf"env_cfg\.num_threads={value!r} must be an integer"):
        chosen_threads(dict(num_threads=value))


def test_apply_sets_torch_and_reports_the_count():
    assert apply_thread_policy(dict(num_threads=2)) == 2 == torch.get_num_threads()
    assert apply_thread_policy() == 1 == torch.get_num_threads()

"""TaskHook: state saved with every checkpoint, restored on --resume only, through one path."""
from types import SimpleNamespace

import pytest
from torch import nn

from mm_cl_addon.continual import TaskHook, is_resuming


class Counter(TaskHook):
    checkpoint_key = 'counter'

    def __init__(self, count=0):
        self.count = count
        self.restored_with = None

    def state_dict(self):
        return dict(count=self.count)

    def load_state_dict(self, state):
        self.count = state['count']


class BuildsFirst(Counter):
    """A hook whose state goes into something it builds from the runner (a reference model)."""

    def restore(self, runner, state):
        self.restored_with = runner.model
        super().restore(runner, state)


def runner(resume: bool, model=None):
    return SimpleNamespace(_resume=resume, model=model or nn.Linear(2, 2))


def test_state_travels_under_the_hook_key():
    checkpoint = {}
    Counter(3).before_save_checkpoint(runner(False), checkpoint)
    assert checkpoint == {'counter': {'count': 3}}


@pytest.mark.parametrize('resume, expected', [(True, 3), (False, 0)])
def test_state_comes_back_on_resume_only(resume, expected):
    hook = Counter()
    hook.after_load_checkpoint(runner(resume), {'counter': {'count': 3}})
    assert hook.count == expected  # load_from of a continual checkpoint starts afresh


def test_a_checkpoint_without_the_key_leaves_the_state():
    hook = Counter(5)
    hook.after_load_checkpoint(runner(True), {'state_dict': {}})
    assert hook.count == 5


def test_restore_may_build_before_loading():
    hook, model = BuildsFirst(), nn.Linear(1, 1)
    hook.after_load_checkpoint(runner(True, model), {'counter': {'count': 2}})
    assert hook.restored_with is model and hook.count == 2


class Stateless(TaskHook):
    pass


class NothingYet(Counter):
    def state_dict(self):
        return None  # e.g. LwF before its first task


@pytest.mark.parametrize('hook', [Stateless(), NothingYet()])
def test_no_state_no_key(hook):
    checkpoint = {}
    hook.before_save_checkpoint(runner(False), checkpoint)
    hook.after_load_checkpoint(runner(True), checkpoint)
    assert checkpoint == {}


def test_model_is_the_runner_model_when_not_wrapped():
    model = nn.Linear(2, 2)
    assert Stateless().model(runner(False, model)) is model


def test_is_resuming_reads_the_runner_flag():
    assert is_resuming(runner(True)) and not is_resuming(runner(False))
    assert not is_resuming(SimpleNamespace())  # a Runner built for testing only

"""Experience replay (ER): train every step on the current batch plus replayed past samples."""
from __future__ import annotations

import torch
from mmpretrain.registry import HOOKS

from ...continual.replay_buffer import RandomReplacementBuffer, ReplayBuffer
from ...continual.seeding import derive_seed
from ...continual.task_hook import TaskHook
from ...utils.arguments import check_count

CHECKPOINT_KEY = 'replay_buffer'
_SEED_STREAM = 1  # the buffers' stream of seeds derived from the run's seed
# How the memory chooses what to keep: ER's reservoir, or the Memory Head code's 'ER-random'.
BUFFER_POLICIES = {'reservoir': ReplayBuffer, 'random': RandomReplacementBuffer}


def batch_parts(data_batch, owner: str) -> tuple[torch.Tensor, list]:
    """The batched ``inputs`` and the ``data_samples`` of a collated batch, checked."""
    if not isinstance(data_batch, dict) or not isinstance(data_batch.get('inputs'),
                                                           torch.Tensor):
        raise TypeError(f"{owner} needs data_batch as a dict with a batched 'inputs' "
                        "Tensor (collate_fn=default_collate), got "
                        f'{type(data_batch).__name__}')
    return data_batch['inputs'], data_batch['data_samples']


class BufferHook(TaskHook):
    """Base of the replay hooks: feeds each step's own samples to a buffer and checkpoints it.

    ``before_train_iter`` remembers the batch's samples before anything is
    added to it; ``after_train_iter`` passes them to :meth:`store`, so a batch
    never meets itself in the buffer. :meth:`state_dict` travels in
    checkpoints under ``checkpoint_key`` and is restored on resume only (not on
    ``load_from``, which starts a new sequence).

    ``seed=None`` (the default of every buffer hook) derives the hook's seed from the run's
    ``randomness.seed``, so runs with different seeds draw different buffers; an integer
    fixes it whatever the run's seed.
    """

    priority = 'ABOVE_NORMAL'  # see the batch before other hooks look at it
    checkpoint_key = CHECKPOINT_KEY

    def __init__(self, buffer: ReplayBuffer, seed: int | None = None) -> None:
        self.buffer = buffer
        self.seed = seed
        self.run_seed = 0 if seed is None else int(seed)
        self._current: tuple[torch.Tensor, list] | None = None

    def before_train(self, runner) -> None:
        """Fix :attr:`run_seed`; a fresh buffer (not one restored on resume) draws from it."""
        if self.seed is None:
            self.run_seed = derive_seed(runner.seed or 0, _SEED_STREAM)
            if self.buffer.seen == 0:
                self.buffer.reseed(self.run_seed)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        inputs, samples = batch_parts(data_batch, type(self).__name__)
        self._current = (inputs, list(samples))

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if self._current is not None:
            self.store(runner, *self._current)
            self._current = None

    def store(self, runner, inputs: torch.Tensor, data_samples: list) -> None:
        """Offer the step's current (not replayed) samples to the buffer."""
        self.buffer.add_batch(inputs, data_samples)

    def state_dict(self) -> dict:
        return self.buffer.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.buffer.load_state_dict(state)


@HOOKS.register_module()
class ReplayHook(BufferHook):
    """Experience replay (Chaudhry et al., 2019), with a reservoir or a random-replacement buffer.

    Before each training step, ``replay_batch_size`` samples drawn from the
    buffer are appended in place to the collated batch (``inputs`` concatenated,
    ``data_samples`` extended), so one ``train_step`` sees current and past
    samples. The batch's own samples enter the buffer only after the step. The
    buffer travels in checkpoints under ``replay_buffer``.

    Args:
        buffer_size: samples the buffer keeps.
        replay_batch_size: replayed samples added to each batch (fewer while
            the buffer holds fewer).
        seed: seed of the buffer's generator; None: derived from the run's seed.
        policy: ``'reservoir'`` (ER: a uniform sample of the whole stream) or
            ``'random'`` (ER-random: random replacement, biased to recent samples).
    """

    def __init__(self, buffer_size: int, replay_batch_size: int, seed: int | None = None,
                 policy: str = 'reservoir') -> None:
        name = type(self).__name__
        self.replay_batch_size = check_count(f'{name}: replay_batch_size', replay_batch_size)
        if policy not in BUFFER_POLICIES:
            raise ValueError(f'{name}: policy={policy!r} must be one of {sorted(BUFFER_POLICIES)}')
        buffer = BUFFER_POLICIES[policy](check_count(f'{name}: buffer_size', buffer_size),
                                         seed=seed or 0)
        super().__init__(buffer, seed)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        """Remember the batch's own samples, then append replayed ones to it."""
        super().before_train_iter(runner, batch_idx, data_batch)
        if not len(self.buffer):
            return
        replay_inputs, replay_samples = self.replay_samples(runner, data_batch)
        inputs = data_batch['inputs']
        data_batch['inputs'] = torch.cat(
            [inputs, replay_inputs.to(device=inputs.device, dtype=inputs.dtype)])
        data_batch['data_samples'].extend(replay_samples)

    def replay_samples(self, runner, data_batch: dict) -> tuple[torch.Tensor, list]:
        """The samples to replay with ``data_batch``: here a uniform draw from the buffer."""
        return self.buffer.sample(self.replay_batch_size)

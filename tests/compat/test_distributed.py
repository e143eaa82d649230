"""mmengine's pytorch launcher and DDP wrapping work on CPU-only machines."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from mmengine.config import Config
from mmengine.dist import utils as dist_utils
from mmengine.runner import Runner

import mm_cl_addon  # noqa: F401  (importing applies the fixes)
from mm_cl_addon import compat
from mm_cl_addon.compat import distributed

# Runs under torch.distributed.run; every check that fails makes that rank exit non-zero.
WORKER = textwrap.dedent('''
    import sys

    import torch
    import torch.distributed as torch_dist
    from mmengine.dist import all_gather, get_rank, init_dist
    from mmengine.model import BaseModel, MMDistributedDataParallel
    from mmengine.runner import Runner
    from torch import nn

    import mm_cl_addon  # noqa: F401


    class Net(BaseModel):
        def __init__(self):
            super().__init__()
            self.linear = nn.Linear(3, 1)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.linear(inputs)


    # Inside a function, as in tools/train.py: the Runner and its DDP model are freed before
    # interpreter shutdown (gloo can abort a rank that still holds them at exit).
    def main():
        init_dist('pytorch', backend='nccl')
        assert torch_dist.get_backend() == 'gloo', torch_dist.get_backend()
        rank = get_rank()
        total = torch.tensor([rank + 1.0])
        torch_dist.all_reduce(total)
        assert total.item() == 3.0, total

        runner = Runner(model=Net(), work_dir=sys.argv[1], launcher='pytorch',
                        env_cfg=dict(dist_cfg=dict(backend='nccl')), experiment_name='compat-ddp')
        model = runner.model
        assert isinstance(model, MMDistributedDataParallel) and model.device_ids is None
        cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True)
        explicit = runner.wrap_model(cfg, Net())
        assert explicit.device_ids is None and explicit.find_unused_parameters
        assert cfg == dict(type='MMDistributedDataParallel', find_unused_parameters=True)

        # Each rank sees a different batch; DDP must average the gradients: d(sum)/dW = 4 * mean(x).
        model(torch.full((4, 3), rank + 1.0)).sum().backward()
        grads = all_gather(model.module.linear.weight.grad)
        torch.testing.assert_close(grads[0], grads[1])
        torch.testing.assert_close(grads[0], torch.full((1, 3), 6.0))
        print(f'rank {rank} ok', flush=True)


    main()
''')


def test_two_cpu_processes(tmp_path):
    script = tmp_path / 'worker.py'
    script.write_text(WORKER)
    # Hide any GPU so the CPU path is what runs, as CUDA_VISIBLE_DEVICES=-1 does for mmengine.
    env = dict(os.environ, CUDA_VISIBLE_DEVICES='', OMP_NUM_THREADS='1')
    result = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--standalone', '--nproc_per_node', '2',
         str(script), str(tmp_path / 'work')],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert 'rank 0 ok' in output and 'rank 1 ok' in output
    assert output.count("using the 'gloo' backend instead of 'nccl'") == 1


def test_non_ddp_wrappers_get_no_device_ids():
    runner = Runner.__new__(Runner)
    runner.cfg = Config(dict(find_unused_parameters=True))
    default = distributed._cpu_wrapper_cfg(None, runner)
    assert default['device_ids'] is None and default['find_unused_parameters'] is True
    fsdp = distributed._cpu_wrapper_cfg(dict(type='MMFullyShardedDataParallel'), runner)
    assert 'device_ids' not in fsdp


def test_apply_is_idempotent():
    init_dist_pytorch, wrap_model = dist_utils._init_dist_pytorch, Runner.wrap_model
    compat.apply()
    assert dist_utils._init_dist_pytorch is init_dist_pytorch
    assert Runner.wrap_model is wrap_model
    assert init_dist_pytorch.__wrapped__.__module__ == 'mmengine.dist.utils'


def test_exit_after_distributed_run_returns_without_a_process_group():
    compat.exit_after_distributed_run()  # no process group: nothing to tear down, no exit

"""Time per training step against torch's intra-op thread count, on an idle and a busy machine.

For each workload (the models of shipped configs at their batch sizes: the Split-Digits CNN, the
Memory Head at batch size 1, ResNet-18 on CIFAR-size images, the MM-Pick-a-back Perceiver IO on
32x32 images), a fresh process builds the config's model, sets the thread count and times
training steps (data preprocessor, forward, loss, backward, SGD) on one batch of the config's
input shape. "Busy" runs the same while one spinning process per core competes, as a shared
machine or a parallel test suite does. Prints milliseconds per step and the ratio to one thread;
the thread policy (``mm_cl_addon/engine/threads.py``) is chosen from this table.

usage: python benchmarks/threads.py [--threads 1 2 4] [--workloads digits-cnn ...]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# name -> (config, batch size, input shape, data sample metainfo, steps timed)
WORKLOADS = {
    'digits-cnn': ('configs/continual/finetune_cnn_split-digits.py', 32, (1, 8, 8), {}, 30),
    'memory-head': ('configs/memory_head/mh_pixels_split-digits.py', 1, (1, 8, 8), {}, 30),
    'resnet18-cifar': ('configs/masked_kd/ce_resnet18_cifar10.py', 128, (3, 32, 32), {}, 5),
    'perceiver-io': ('configs/mm_pickaback/baseline_perceiver_cub.py', 32, (3, 32, 32),
                     {'task_id': 0}, 20),
}


def measure(workload: str, threads: int, steps: int) -> float:
    """Median milliseconds per training step of ``workload`` with ``threads`` threads."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    import mm_cl_addon  # noqa: F401  (registers the models)

    torch.set_num_threads(threads)
    config, batch_size, shape, metainfo, _ = WORKLOADS[workload]
    cfg = Config.fromfile(str(REPO / config))
    model_cfg = dict(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    torch.manual_seed(0)
    model = MODELS.build(model_cfg).train()
    images = torch.randint(0, 256, (batch_size, *shape), dtype=torch.uint8)
    inputs = {'image': images} if 'MultiModal' in model_cfg['type'] else images
    samples = [DataSample(metainfo=metainfo).set_gt_label(i % 2) for i in range(batch_size)]
    optim_wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=1e-3)))
    times = []
    for step in range(steps + 3):  # three warm-up steps
        start = time.perf_counter()
        model.train_step(dict(inputs=inputs, data_samples=samples), optim_wrapper)
        if step >= 3:
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _child(workload: str, threads: int) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop('OMP_NUM_THREADS', None)
    done = subprocess.run([sys.executable, __file__, '--child', workload, str(threads)],
                          env=env, capture_output=True, text=True, check=True, timeout=900)
    return json.loads(done.stdout.strip().splitlines()[-1])['ms']


def _spinners(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, '-c', 'while True: pass']) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--workloads', nargs='+', default=list(WORKLOADS), choices=WORKLOADS)
    parser.add_argument('--child', nargs=2, metavar=('WORKLOAD', 'THREADS'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        workload = args.child[0]
        print(json.dumps(dict(ms=measure(workload, int(args.child[1]), WORKLOADS[workload][-1]))))
        return
    cores = os.cpu_count() or 1
    print(f'{cores} cores; ms per training step (median of 5-30 steps); ratio to '
          f'{args.threads[0]} thread(s)')
    print(f'{"workload":<16}{"machine":<7}' + ''.join(f'{f"{t} thr":>10}{"ratio":>7}'
                                                    for t in args.threads))
    for workload in args.workloads:
        for machine in ('idle', 'busy'):
            spinners = _spinners(cores) if machine == 'busy' else []
            try:
                ms = {t: _child(workload, t) for t in args.threads}
            finally:
                for spinner in spinners:
                    spinner.kill()
            cells = ''.join(f'{ms[t]:10.2f}{ms[t] / ms[args.threads[0]]:7.2f}'
                            for t in args.threads)
            print(f'{workload:<16}{machine:<7}{cells}', flush=True)


if __name__ == '__main__':
    main()

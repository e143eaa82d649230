"""`import mm_cl_addon`, which every custom_imports runs, leaves scikit-learn and pulp unloaded."""
import subprocess
import sys


def test_import_loads_neither_scikit_learn_nor_pulp():
    probe = ('import sys, mm_cl_addon; '
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'pulp'}))")
    done = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip().splitlines()[-1] == '[]'


def test_the_parts_that_need_them_still_work():
    from mm_cl_addon.datasets import DigitsDataset
    from mm_cl_addon.reassembly import Block, solve_reassembly

    assert len(DigitsDataset(split='test')) == 360
    groups = [[Block('a', score=1.0, params=1.0, flops=1.0, kind='cnn', in_dim=1, out_dim=2),
               Block('b', score=2.0, params=1.0, flops=1.0, kind='cnn', in_dim=1, out_dim=2)]]
    assert solve_reassembly(groups)[0].blocks[0].name == 'b'  # pulp's CBC found the best

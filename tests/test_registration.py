"""Importing mm_cl_addon registers every class in mmpretrain's registries."""
import mmpretrain.registry as registry

import mm_cl_addon  # noqa: F401

EXPECTED = {
    registry.DATASETS: ['TaskSplitDataset', 'DigitsDataset'],
    registry.LOOPS: ['ContinualTrainLoop', 'ContinualValLoop', 'ContinualTestLoop'],
    registry.MODELS: ['SmallConvNet', 'MultiTaskClsHead'],
}


def test_classes_are_in_mmpretrain_registries():
    for reg, names in EXPECTED.items():
        for name in names:
            assert name in reg.module_dict, f'{name} is not in mmpretrain {reg.name}'


def test_reachable_from_another_scope():
    from mmengine.registry import DATASETS, DefaultScope

    with DefaultScope.overwrite_default_scope('mmengine'):
        assert DATASETS.get('mmpretrain.TaskSplitDataset') is mm_cl_addon.continual.TaskSplitDataset

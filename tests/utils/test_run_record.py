"""The config hash names what a run trains, not where it runs."""
from mm_cl_addon.utils.run_record import config_hash, package_versions


def test_the_hash_ignores_where_a_run_is_and_sees_what_it_trains():
    base = dict(model=dict(type='A'), train_cfg=dict(epochs_per_task=2), load_from='init.pth')
    moved = dict(base, work_dir='elsewhere', experiment_name='x', launcher='pytorch')
    assert config_hash(base) == config_hash(moved)
    from_scratch = dict(base, load_from=None)
    resumed = dict(from_scratch, resume=True, load_from='elsewhere/epoch_3.pth')
    assert config_hash(resumed) == config_hash(from_scratch)
    assert config_hash(dict(base, load_from='other.pth')) != config_hash(base)
    assert config_hash(dict(base, train_cfg=dict(epochs_per_task=3))) != config_hash(base)


def test_versions_name_the_stack():
    versions = package_versions()
    assert {'python', 'torch', 'mmengine', 'mmpretrain', 'mm_cl_addon'} <= set(versions)

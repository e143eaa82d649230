"""The wheel carries configs and tools, so `mm_cl_addon::` config paths work once installed."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mmengine.config import Config

from mm_cl_addon.compat.package_paths import resolve_config_path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_CONFIG = 'mm_cl_addon::continual/finetune_cnn_split-digits.py'


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, '-m', 'pip', '-q', *args], check=True, capture_output=True,
                   text=True, timeout=600)


@pytest.mark.e2e
def test_an_installed_wheel_loads_configs_by_package_path(tmp_path):
    listed = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard'], cwd=REPO,
                            check=True, capture_output=True, text=True).stdout.split()
    source = tmp_path / 'source'
    for name in listed:  # the tree as a clean clone has it: no .venv, no .mim links
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    _pip('wheel', '--no-deps', '--no-build-isolation', '-w', str(tmp_path / 'dist'), str(source))
    wheel = next((tmp_path / 'dist').glob('mm_cl_addon-*.whl'))
    _pip('install', '--no-deps', '--target', str(tmp_path / 'target'), str(wheel))
    child = tmp_path / 'child.py'  # another project's config, inheriting ours
    child.write_text(f'_base_ = [{PACKAGE_CONFIG!r}]\nmodel = dict(head=dict(num_classes=10))\n')
    probe = ("import mm_cl_addon, os; from mmengine.config import Config; "
             f"cfg = Config.fromfile({str(child)!r}); "
             "root = os.path.dirname(mm_cl_addon.__file__); "
             "print(root, cfg.train_cfg.type, cfg.model.backbone.type, "
             "os.path.isfile(os.path.join(root, '.mim', 'tools', 'train.py')))")
    done = subprocess.run([sys.executable, '-c', probe], cwd=tmp_path, check=True, text=True,
                          capture_output=True, env={'PYTHONPATH': str(tmp_path / 'target'),
                                                    'PATH': '/usr/bin:/bin'})
    root, loop, backbone, has_tools = done.stdout.split()
    assert Path(root) == tmp_path / 'target' / 'mm_cl_addon'
    assert (loop, backbone, has_tools) == ('ContinualTrainLoop', 'SmallConvNet', 'True')
    metadata = next((tmp_path / 'target').glob('mm_cl_addon-*.dist-info')) / 'METADATA'
    requires = [line for line in metadata.read_text().splitlines()
                if line.startswith('Requires-Dist')]
    assert any(line.startswith('Requires-Dist: mmcv') for line in requires)
    assert any('extra == "all"' in line for line in requires)


def test_the_development_install_resolves_package_paths(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{PACKAGE_CONFIG!r}]\n')
    assert Config.fromfile(str(child)).train_cfg.type == 'ContinualTrainLoop'
    assert Path(resolve_config_path(PACKAGE_CONFIG)).resolve() == (
        REPO / 'configs' / 'continual' / 'finetune_cnn_split-digits.py')

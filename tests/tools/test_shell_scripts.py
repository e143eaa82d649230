"""The shell pipelines run the project's interpreter and show a failed step's error."""
from __future__ import annotations

import subprocess

import pytest

from ..e2e.helpers import REPO

pytestmark = pytest.mark.e2e


def test_a_failed_step_prints_the_end_of_its_log(tmp_path):
    done = subprocess.run(['bash', 'tools/soups/train_ingredients.sh', str(tmp_path),
                           'configs/soups/finetune_cnn_digits.py', 'bogus_key=1'],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    log = tmp_path / '0.log'
    assert f'(the end of {log} follows)' in done.stderr
    assert ("train.py: error: --cfg-options bogus_key: 'bogus_key' is not a key the Runner "
            'reads') in done.stderr
    assert not (tmp_path / '1.log').exists()  # the pipeline stopped at the failed step


def test_every_script_finds_the_interpreter_through_python_env():
    scripts = sorted((REPO / 'tools').rglob('*.sh'))
    for script in scripts:
        text = script.read_text()
        if script.name in ('python_env.sh', 'dist_train.sh', 'dist_test.sh'):
            continue  # the first is the shared part; the others exec dist_launch.sh
        if 'exec bash' in text and '"$PYTHON"' not in text:
            continue  # run_mm_pipeline.sh only re-enters run_pipeline.sh
        assert 'python_env.sh' in text, script
        assert 'PYTHON=${PYTHON:-' not in text, script

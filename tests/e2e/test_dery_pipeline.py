"""tools/dery/run_digits_pipeline.sh: every DeRy step on the digits zoo, short setting."""
import json
import re

import pytest
from mmengine.config import Config

from tests.e2e.helpers import run_tool

pytestmark = pytest.mark.e2e

ZOO = ('convnet', 'resnet_deep', 'resnet_narrow', 'vit_deep', 'vit_small')
SHORT = dict(ZOO_ITERS='10', FT_ITERS='5', NUM_SAMPLES='32', TRIAL='2', TOP_M='2')


def test_pipeline_trains_the_zoo_reassembles_and_fine_tunes(tmp_path):
    work = tmp_path / 'dery'
    result = run_tool('bash', 'tools/dery/run_digits_pipeline.sh', str(work), env=SHORT,
                      timeout=300)
    for name in ZOO:  # 1. the zoo, and the manifest pointing at it
        assert (work / name / 'final.pth').is_file()
        assert (work / 'feat' / f'{name}.safetensors').is_file()  # 2. get_rep
    assert str(work / 'vit_deep' / 'final.pth') in (work / 'zoo.yaml').read_text()
    sizes = json.loads((work / 'sizes.json').read_text())  # 3. count_inout_size
    assert sorted(sizes) == list(ZOO)
    index = json.loads((work / 'sim' / 'index.json').read_text())  # 4. compute_sim
    assert len(index['pairs']) == 15  # 5 models with themselves and 10 distinct pairs
    partition = json.loads((work / 'partition.json').read_text())  # 5. partition
    assert len(partition['centres']) == 3
    summary = json.loads((work / 'reassembly' / 'summary.json').read_text())  # 6. search
    assert 1 <= len(summary['solutions']) <= 2
    assert all(row['params'] <= 60000 for row in summary['solutions'])
    chosen = Config.fromfile(str(work / 'reassembly' / 'rank1.py'))
    assert chosen.model.backbone.blocks == summary['solutions'][0]['blocks']
    for run in ('ft_frozen', 'ft_full', 'scratch'):  # 7. the emitted config trains
        assert (work / run / 'final.pth').is_file()
    for label in ('frozen blocks', 'end to end', 'scratch'):  # 8. the accuracies
        assert re.search(rf'{label}: +\d+\.\d\d\n', result.stdout), result.stdout[-2000:]

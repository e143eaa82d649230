"""read_final_scores: the online protocol's results file, and errors that name it."""
from __future__ import annotations

import json

import pytest

from mm_cl_addon.continual.online_report import RESULTS_FILE, read_final_scores

FINAL = {'avg_accuracy': 0.9, 'avg_forgetting': 0.05, 'at_distribution': 1}


def test_final_scores_of_a_split(tmp_path):
    (tmp_path / RESULTS_FILE).write_text(json.dumps(
        {'splits': {'test': {'final': FINAL}, 'val': {'final': None}}}))
    assert read_final_scores(tmp_path) == FINAL
    with pytest.raises(ValueError, match="split 'val' has no evaluated distribution"):
        read_final_scores(tmp_path, 'val')
    with pytest.raises(KeyError, match="has no split 'train'"):
        read_final_scores(tmp_path, 'train')


@pytest.mark.parametrize('text, fault', [
    ('{"splits": {"test": {"final": {"avg_acc', 'is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('["test"]', 'expected a mapping at the top level'),
    ('{"test": {"final": null}}', '"splits" must map each split name to an object with "final"'),
    ('{"splits": {"test": [0.9]}}', '"splits" must map each split name'),
])
def test_truncated_empty_or_wrong_results_file_names_the_file(tmp_path, text, fault):
    (tmp_path / RESULTS_FILE).write_text(text)
    with pytest.raises(ValueError, match=f'online stream metrics file .*{RESULTS_FILE}: {fault}'):
        read_final_scores(tmp_path)


def test_a_missing_results_file_says_how_to_write_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=f'{RESULTS_FILE} does not exist; train with '
                                                'OnlineStreamEvalHook'):
        read_final_scores(tmp_path)

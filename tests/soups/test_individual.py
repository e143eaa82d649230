"""The individual-scores JSONL: records read back, a missing file has none, bad files named."""
from __future__ import annotations

import json

import pytest

from mm_cl_addon.soups.individual import read_records, write_records

RECORDS = [{'checkpoint': 'a.pth', 'score': 0.5, 'metrics': {'accuracy/top1': 0.5}},
           {'checkpoint': 'b.pth', 'score': 0.75, 'metrics': {'accuracy/top1': 0.75}}]


def test_records_round_trip_and_a_missing_file_has_none(tmp_path):
    path = tmp_path / 'individual.jsonl'
    assert read_records(path) == []
    write_records(path, RECORDS)
    assert read_records(path) == RECORDS


@pytest.mark.parametrize('text, fault', [
    (json.dumps(RECORDS[0]) + '\n{"checkpoint": "b.pth", "sco', 'line 2 is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('[1, 2]\n', 'line 1 is a list, expected a JSON object'),
    ('{"checkpoint": "a.pth"}\n', "record 1 lacks 'checkpoint' or 'score'"),
])
def test_a_truncated_empty_or_wrong_file_names_the_file(tmp_path, text, fault):
    path = tmp_path / 'individual.jsonl'
    path.write_text(text)
    with pytest.raises(ValueError, match=f'individual scores file .*individual\\.jsonl: {fault}'):
        read_records(path)

"""CPG pruning-ratio selection: the rule, record validation, goal reading and the tool."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mm_cl_addon.continual.pruning_ratio import (
    goal_accuracy,
    read_ratio_record,
    select_pruning_ratio,
)

REPO = Path(__file__).resolve().parents[2]
RECORDS = [(0.0, 98.0), (0.3, 97.8), (0.5, 97.0), (0.7, 96.9), (0.9, 90.0)]


def write(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path


def test_highest_ratio_within_allowed_loss():
    choice = select_pruning_ratio(RECORDS, goal=97.5, allowed_acc_loss=0.5)
    assert choice == dict(ratio=0.5, accuracy=97.0, goal=97.5, allowed_acc_loss=0.5,
                          reached_goal=True)


def test_exactly_at_goal_minus_allowed_counts_as_within():
    # 97.3 - 0.3 rounds below 97.0 in floating point; 97.0 must still count.
    assert select_pruning_ratio(RECORDS, 97.3, 0.3)['ratio'] == 0.5
    assert select_pruning_ratio(RECORDS, 97.0, 0.0)['ratio'] == 0.5
    assert select_pruning_ratio(RECORDS, 97.0 + 1e-6, 0.0)['ratio'] == 0.3


def test_unsorted_input_gives_the_same_choice():
    assert (select_pruning_ratio(RECORDS[::-1], 97.5, 0.5)
            == select_pruning_ratio(RECORDS, 97.5, 0.5))


def test_accuracy_need_not_fall_monotonically():
    records = [(0.2, 95.0), (0.6, 97.6), (0.4, 96.0)]
    assert select_pruning_ratio(records, 98.0, 0.5)['ratio'] == 0.6


def test_none_within_falls_back_to_lowest_ratio():
    records = [(0.5, 90.0), (0.1, 92.0), (0.8, 80.0)]
    choice = select_pruning_ratio(records, 97.5, 0.5)
    assert choice['ratio'] == 0.1 and choice['accuracy'] == 92.0
    assert choice['reached_goal'] is False


def test_select_rejects_bad_arguments():
    with pytest.raises(ValueError, match='empty'):
        select_pruning_ratio([], 97.5, 0.5)
    with pytest.raises(ValueError, match='allowed_acc_loss'):
        select_pruning_ratio(RECORDS, 97.5, -1.0)


def test_read_ratio_record_round_trip(tmp_path):
    path = write(tmp_path / 'r.json', {'task': 1, 'records': [
        {'ratio': 0.5, 'accuracy': 97}, {'ratio': 0, 'accuracy': 98.5}]})
    assert read_ratio_record(path) == [(0.5, 97.0), (0.0, 98.5)]


@pytest.mark.parametrize('data, message', [
    ([1, 2], 'JSON object'),
    ({'records': [{'ratio': 0.1, 'accuracy': 90}]}, '"task"'),
    ({'task': 1, 'records': []}, 'non-empty'),
    ({'task': 1, 'records': [{'ratio': 0.1}]}, r'records\[0\]'),
    ({'task': 1, 'records': [{'ratio': 1.0, 'accuracy': 90}]}, r'records\[0\]: ratio'),
    ({'task': 1, 'records': [{'ratio': -0.1, 'accuracy': 90}]}, r'records\[0\]: ratio'),
    ({'task': 1, 'records': [{'ratio': 0.1, 'accuracy': 0.9},
                             {'ratio': 0.2, 'accuracy': 100.5}]}, r'records\[1\]: accuracy'),
    ({'task': 1, 'records': [{'ratio': 0.1, 'accuracy': True}]}, r'records\[0\]: accuracy'),
    ({'task': 1, 'records': [{'ratio': 0.1, 'accuracy': 90},
                             {'ratio': 0.1, 'accuracy': 80}]}, r'records\[1\]: duplicate'),
])
def test_read_ratio_record_errors_name_file_and_entry(tmp_path, data, message):
    path = write(tmp_path / 'bad.json', data)
    with pytest.raises(ValueError, match=message) as info:
        read_ratio_record(path)
    assert 'bad.json' in str(info.value)


def test_read_ratio_record_missing_or_invalid_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.json'):
        read_ratio_record(tmp_path / 'absent.json')
    (tmp_path / 'broken.json').write_text('{')
    with pytest.raises(ValueError, match='broken.json'):
        read_ratio_record(tmp_path / 'broken.json')


@pytest.mark.parametrize('text, fault', [
    ('{"task": 1, "records": [{"ratio": 0.5, "accu', 'is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('\x80\x04 not text', 'is not valid JSON'),
])
def test_truncated_empty_or_wrong_format_files_name_the_file(tmp_path, text, fault):
    path = tmp_path / 'cut.json'
    path.write_text(text)
    with pytest.raises(ValueError, match=f'pruning-ratio record .*cut\\.json: {fault}'):
        read_ratio_record(path)
    with pytest.raises(ValueError, match=f'baseline metrics file .*cut\\.json: {fault}'):
        goal_accuracy(path)
    with pytest.raises(FileNotFoundError, match='absent.json does not exist; write it with '
                                                'tools/test.py --out'):
        goal_accuracy(tmp_path / 'absent.json')


def test_goal_accuracy(tmp_path):
    assert goal_accuracy(97.5) == 97.5
    assert goal_accuracy(write(tmp_path / 'm.json', {'accuracy/top1': 96.25})) == 96.25
    assert goal_accuracy(str(tmp_path / 'm.json')) == 96.25
    with pytest.raises(KeyError, match=r'other\.json.*accuracy/top1'):
        goal_accuracy(write(tmp_path / 'other.json', {'accuracy/top5': 99.0}))
    with pytest.raises(ValueError, match='range.json'):
        goal_accuracy(write(tmp_path / 'range.json', {'accuracy/top1': 120.0}))
    with pytest.raises(ValueError, match='goal'):
        goal_accuracy(-1.0)
    continual = write(tmp_path / 'continual.json', {'task0/accuracy/top1': 91.0})
    assert goal_accuracy(continual, 'task0/accuracy/top1') == 91.0
    with pytest.raises(KeyError, match='mean/accuracy/top1'):
        goal_accuracy(continual, 'mean/accuracy/top1')


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, 'tools/pickaback/select_pruning_ratio.py', *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)


def test_tool_end_to_end(tmp_path):
    record = write(tmp_path / 'record.json', {'task': 2, 'records': [
        {'ratio': r, 'accuracy': a} for r, a in RECORDS]})
    baseline = write(tmp_path / 'metrics.json', {'accuracy/top1': 97.5})
    out = tmp_path / 'sub' / 'choice.json'
    result = run_tool(str(record), '--baseline', str(baseline), '--allowed-acc-loss', '0.5',
                      '--out', str(out))
    assert result.returncode == 0, result.stderr
    choice = json.loads(out.read_text())
    assert choice == dict(ratio=0.5, accuracy=97.0, goal=97.5, allowed_acc_loss=0.5,
                          reached_goal=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == choice

    result = run_tool(str(record), '--goal', '99.5', '--allowed-acc-loss', '0.5')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])['reached_goal'] is False

    (tmp_path / 'ratio0.50.pth').write_bytes(b'')  # CPGHook's snapshot of that ratio
    result = run_tool(str(record), '--goal', '97.5', '--allowed-acc-loss', '0.5')
    assert json.loads(result.stdout.strip().splitlines()[-1])['checkpoint'] == str(
        tmp_path / 'ratio0.50.pth')


def test_tool_needs_exactly_one_goal(tmp_path):
    record = write(tmp_path / 'record.json', {'task': 0, 'records': [
        {'ratio': 0.0, 'accuracy': 90.0}]})
    assert run_tool(str(record)).returncode != 0
    assert run_tool(str(record), '--goal', '90', '--baseline', 'x.json').returncode != 0

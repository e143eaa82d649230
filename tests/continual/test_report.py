"""Accuracy reports: JSON, heatmap PNG, visualizer backends and text tables."""
from __future__ import annotations

import json

import numpy as np
import pytest
from mmengine.visualization import Visualizer

from mm_cl_addon.continual.metrics import summarize
from mm_cl_addon.continual.report import (
    format_accuracy_matrix,
    format_comparison_table,
    read_run_summary,
    write_accuracy_report,
)

MATRIX = [
    [0.10, 0.12, 0.08],
    [0.90, 0.30, 0.15],
    [0.70, 0.95, 0.20],
    [0.60, 0.80, 0.85],
]
PNG_MAGIC = b'\x89PNG\r\n\x1a\n'


def test_json_and_png_are_written(tmp_path):
    summary = write_accuracy_report(MATRIX, tmp_path / 'work')
    assert summary == summarize(MATRIX)
    assert json.loads((tmp_path / 'work' / 'continual_accuracy.json').read_text()) == summary
    png = (tmp_path / 'work' / 'continual_accuracy_matrix.png').read_bytes()
    assert png.startswith(PNG_MAGIC) and 5_000 < len(png) < 2_000_000
    assert sorted(p.name for p in (tmp_path / 'work').iterdir()) == [
        'continual_accuracy.json', 'continual_accuracy_matrix.png']  # no temp files left


def test_visualizer_receives_scalars_and_image(tmp_path):
    visualizer = Visualizer(name='test_report_vis', save_dir=str(tmp_path),
                            vis_backends=[dict(type='LocalVisBackend')])
    write_accuracy_report(MATRIX, tmp_path / 'work', task_names=['a', 'b', 'c'],
                          visualizer=visualizer, step=3, prefix='cl')
    record = json.loads((tmp_path / 'vis_data' / 'scalars.json').read_text().splitlines()[-1])
    assert record['step'] == 3
    assert record['cl/average_accuracy'] == pytest.approx(0.75)
    assert record['cl/average_forgetting'] == pytest.approx(0.225)
    assert record['cl/backward_transfer'] == pytest.approx(-0.225)
    assert record['cl/forward_transfer'] == pytest.approx(0.15)
    image = tmp_path / 'vis_data' / 'vis_image' / 'cl_accuracy_matrix_3.png'
    assert image.read_bytes().startswith(PNG_MAGIC)
    assert (tmp_path / 'work' / 'cl_accuracy.json').exists()


def test_accuracy_matrix_table():
    table = format_accuracy_matrix(MATRIX, task_names=['first', 'second', 'third'])
    lines = table.splitlines()
    assert len(lines) == 5 and len({len(line) for line in lines}) == 1
    assert lines[0].split() == ['first', 'second', 'third']
    assert lines[1].split() == ['before', '10.00', '12.00', '8.00']
    assert lines[4].split() == ['after', 'third', '60.00', '80.00', '85.00']


def test_comparison_table():
    rows = {'finetune': summarize(MATRIX),
            'joint': summarize(np.full((4, 3), 0.5))}
    lines = format_comparison_table(rows).splitlines()
    assert lines[0].split() == ['method', 'ACC', 'forgetting', 'BWT', 'FWT']
    assert lines[1].split() == ['finetune', '75.00', '22.50', '-22.50', '15.00']
    assert lines[2].split() == ['joint', '50.00', '0.00', '0.00', '0.00']
    assert len({len(line) for line in lines}) == 1


def test_bad_inputs_are_named(tmp_path):
    with pytest.raises(ValueError, match='task_names'):
        format_accuracy_matrix(MATRIX, task_names=['only one'])
    with pytest.raises(ValueError, match='prefix'):
        write_accuracy_report(MATRIX, tmp_path, prefix='a/b')
    with pytest.raises(KeyError, match='backward_transfer'):
        format_comparison_table({'x': {'average_accuracy': 0.1, 'average_forgetting': 0.0}})


def test_run_summary_of_a_continual_and_of_a_joint_run(tmp_path):
    write_accuracy_report(MATRIX, tmp_path / 'continual')
    assert read_run_summary(tmp_path / 'continual')['average_accuracy'] == pytest.approx(0.75)
    joint = tmp_path / 'joint'
    joint.mkdir()
    (joint / 'task_scores.json').write_text(json.dumps(dict(task_scores=[0.9, 0.7])))
    summary = read_run_summary(joint)
    assert summary['average_accuracy'] == pytest.approx(0.8)
    assert summary['average_forgetting'] is None
    table = format_comparison_table({'continual': summarize(MATRIX), 'joint': summary})
    assert table.splitlines()[2].split() == ['joint', '80.00', '-', '-', '-']
    with pytest.raises(FileNotFoundError, match='neither continual_accuracy.json'):
        read_run_summary(tmp_path / 'nothing')


def test_weights_used_column_appears_when_a_run_reports_it(tmp_path):
    write_accuracy_report(MATRIX, tmp_path / 'packnet')
    (tmp_path / 'packnet' / 'weight_owners.json').write_text(json.dumps(dict(weights_used=0.875)))
    rows = {'finetune': summarize(MATRIX), 'packnet': read_run_summary(tmp_path / 'packnet')}
    lines = format_comparison_table(rows).splitlines()
    assert lines[0].split()[-2:] == ['weights', 'used']
    assert lines[1].split()[-1] == '-' and lines[2].split()[-1] == '87.50'
    assert 'weights' not in format_comparison_table({'finetune': summarize(MATRIX)})


@pytest.mark.parametrize('name, text, fault', [
    ('continual_accuracy.json', '{"average_accuracy": 0.7', 'continual accuracy report .*'
                                                            'is not valid JSON'),
    ('continual_accuracy.json', '', r'continual accuracy report .*is empty \(0 bytes\)'),
    ('task_scores.json', '[0.9, 0.7]', 'task scores file .*expected a mapping'),
    ('task_scores.json', '{"scores": [0.9]}', 'task scores file .*has no "task_scores" key'),
    ('task_scores.json', '{"task_scores": ["a"]}', 'task scores file .*"task_scores" must be a '
                                                   'non-empty list of numbers'),
    ('weight_owners.json', '{"weights_u', 'weight owners file .*is not valid JSON'),
    ('weight_owners.json', '{}', 'weight owners file .*has no "weights_used" key'),
])
def test_truncated_empty_or_wrong_run_files_name_the_file(tmp_path, name, text, fault):
    (tmp_path / 'task_scores.json').write_text(json.dumps(dict(task_scores=[0.9, 0.7])))
    (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match=fault) as error:
        read_run_summary(tmp_path)
    assert str(tmp_path / name) in str(error.value)

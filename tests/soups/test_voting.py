"""Hard voting on prediction CSVs: majority, the two tie-breaks, and per-attribute voting."""
from __future__ import annotations

import itertools

import pytest

from mm_cl_addon.soups import (
    Prediction,
    VoteResult,
    hard_vote,
    read_predictions,
    vote_attributes,
    write_votes,
)


def _csv(tmp_path, name: str, rows: list[tuple[str, int, float]], extra: bool = False) -> str:
    """A prediction CSV; ``extra`` adds a column readers must ignore."""
    header = 'id,pred_label,confidence' + (',model' if extra else '')
    lines = [header] + [f'{i},{label},{conf}' + (',x' if extra else '') for i, label, conf in rows]
    path = tmp_path / name
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def _vote(tmp_path, per_model: list[list[tuple[str, int, float]]]) -> list[VoteResult]:
    paths = [_csv(tmp_path, f'm{index}.csv', rows, extra=index == 0)
             for index, rows in enumerate(per_model)]
    return hard_vote([read_predictions(path) for path in paths], paths)


def test_read_predictions_ignores_extra_columns(tmp_path):
    path = _csv(tmp_path, 'a.csv', [('img_1', 3, 0.75)], extra=True)
    assert read_predictions(path) == [Prediction('img_1', 3, 0.75)]


@pytest.mark.parametrize('content, message', [
    ('id,confidence\n1,0.5\n', r"a.csv: the header lacks column\(s\) \['pred_label'\]"),
    ('id,pred_label,confidence\n1,2,0.5\n2,cat,0.5\n', "a.csv, line 3: pred_label 'cat'"),
    ('id,pred_label,confidence\n1,2,high\n', "a.csv, line 2: confidence 'high'"),
    ('id,pred_label,confidence\n1,2,0.5\n1,3,0.5\n', "a.csv, line 3: id '1' .* line 2"),
    ('', r'prediction CSV .*a.csv: is empty \(0 bytes\)'),
    ('id,pred_label,confidence\n"' + 'x' * 200_000 + '",1,0.5\n',
     r'prediction CSV .*a.csv: line 2 is not valid CSV \(field larger than field limit'),
])
def test_read_predictions_errors_name_file_and_line(tmp_path, content, message):
    (tmp_path / 'a.csv').write_text(content)
    with pytest.raises(ValueError, match=message):
        read_predictions(tmp_path / 'a.csv')


def test_read_predictions_names_a_missing_or_binary_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='absent.csv does not exist; write it with '
                                                'tools/soups/predict.py'):
        read_predictions(tmp_path / 'absent.csv')
    (tmp_path / 'a.csv').write_bytes(b'id,pred_label,confidence\n\xff\xfe,1,0.5\n')
    with pytest.raises(ValueError, match='a.csv: is not UTF-8 text'):
        read_predictions(tmp_path / 'a.csv')


def test_plain_majority(tmp_path):
    results = _vote(tmp_path, [[('a', 1, 0.9), ('b', 0, 0.5)],
                               [('a', 2, 0.99), ('b', 0, 0.75)],
                               [('a', 2, 0.5), ('b', 4, 1.0)]])
    assert results == [VoteResult('a', 2, 2, pytest.approx(0.745)),
                       VoteResult('b', 0, 2, 0.625)]


def test_two_two_tie_goes_to_the_larger_summed_confidence(tmp_path):
    # Label 1 comes first in model order but its voters are less confident in total.
    results = _vote(tmp_path, [[('a', 1, 0.75)], [('a', 1, 0.5)], [('a', 2, 1.0)], [('a', 2, 0.5)]])
    assert results == [VoteResult('a', 2, 2, 0.75)]


def test_full_tie_goes_to_the_earliest_model(tmp_path):
    results = _vote(tmp_path, [[('a', 7, 0.25)], [('a', 1, 0.5)], [('a', 1, 0.25)],
                               [('a', 7, 0.5)]])
    assert results == [VoteResult('a', 7, 2, 0.375)]
    reordered = _vote(tmp_path, [[('a', 1, 0.5)], [('a', 7, 0.5)]])
    assert reordered == [VoteResult('a', 1, 1, 0.5)]


def test_models_must_cover_the_same_ids(tmp_path):
    with pytest.raises(ValueError, match=r"m1.csv has no prediction for id 'b'.*m0.csv"):
        _vote(tmp_path, [[('a', 1, 0.5), ('b', 1, 0.5)], [('a', 1, 0.5)]])
    with pytest.raises(ValueError, match=r"m1.csv predicts id 'c'.*m0.csv"):
        _vote(tmp_path, [[('a', 1, 0.5)], [('a', 1, 0.5), ('c', 1, 0.5)]])
    with pytest.raises(ValueError, match='one name per model'):
        hard_vote([[Prediction('a', 1, 0.5)]], [])


# 18 classes: mask (3) x gender (2) x age (3), class = 6 * mask + 3 * gender + age.
ATTRIBUTES = {label: values
              for label, values in enumerate(itertools.product(range(3), range(2), range(3)))}


def test_attribute_voting_recomposes_a_class_no_model_predicted(tmp_path):
    # (0, 0, 0), (0, 1, 1), (1, 1, 0): mask 0, gender 1 and age 0 win -> class 3.
    models = [[Prediction('a', 0, 0.5)], [Prediction('a', 4, 0.75)], [Prediction('a', 9, 1.0)]]
    results = vote_attributes(models, ['m0', 'm1', 'm2'], ATTRIBUTES)
    assert [result.label for result in results] == [3]
    assert results[0].votes == 2 and results[0].confidence == 0.625
    assert hard_vote(models, ['m0', 'm1', 'm2'])[0].label == 9  # whole labels: most confident


def test_attribute_voting_errors():
    models = [[Prediction('a', 0, 0.5)], [Prediction('a', 4, 0.75)], [Prediction('a', 9, 1.0)]]
    partial = {label: ATTRIBUTES[label] for label in (0, 4, 9)}
    with pytest.raises(ValueError, match=r"id 'a': the winning attributes \(0, 1, 0\)"):
        vote_attributes(models, ['m0', 'm1', 'm2'], partial)
    with pytest.raises(ValueError, match="model m1, id 'a': label 4"):
        vote_attributes(models, ['m0', 'm1', 'm2'], {0: (0,), 9: (1,)})
    with pytest.raises(ValueError, match='classes 0 and 1 both'):
        vote_attributes(models, ['m0', 'm1', 'm2'], {0: (0,), 1: (0,)})


def test_write_votes(tmp_path):
    path = tmp_path / 'out' / 'votes.csv'
    write_votes(path, [VoteResult('a', 2, 3, 0.5), VoteResult('b', 0, 1, 0.25)])
    assert path.read_text() == 'id,pred_label,votes,confidence\na,2,3,0.5\nb,0,1,0.25\n'
    assert read_predictions(path)[0] == Prediction('a', 2, 0.5)

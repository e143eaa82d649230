"""Hard voting over the prediction CSVs of several models: an ensemble when weights cannot mix.

A prediction CSV has the header ``id,pred_label,confidence`` (other columns are ignored). Each
model casts one vote per sample; the label with most votes wins. Ties go to the label whose
voters are more confident in total, then to the label of the earliest model in the given order,
so the result never depends on dict or file ordering. Composite labels (e.g. mask x gender x age)
can be voted attribute by attribute, which may recompose a class no single model predicted.
"""
from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from mm_cl_addon.utils import atomic_write
from mm_cl_addon.utils.files import InputFileError, read_text

REQUIRED_COLUMNS = ('id', 'pred_label', 'confidence')
VOTE_COLUMNS = ('id', 'pred_label', 'votes', 'confidence')


@dataclass(frozen=True)
class Prediction:
    """One model's label for one sample, with the model's confidence in it."""

    id: str
    label: int
    confidence: float


@dataclass(frozen=True)
class VoteResult:
    """The ensemble's label for one sample.

    ``votes`` counts the models behind the label and ``confidence`` is their mean confidence;
    after attribute voting both describe the least supported attribute.
    """

    id: str
    label: int
    votes: int
    confidence: float


def _parse_row(row: Mapping[str, str | None], name: str, line: int) -> Prediction:
    values = {column: row.get(column) for column in REQUIRED_COLUMNS}
    empty = [column for column, value in values.items() if value is None or not value.strip()]
    if empty:
        raise ValueError(f'{name}, line {line}: no value in column(s) {empty}')
    try:
        label = int(values['pred_label'])
    except ValueError:
        raise ValueError(f"{name}, line {line}: pred_label {values['pred_label']!r} is not an "
                         'integer class index') from None
    try:
        confidence = float(values['confidence'])
    except ValueError:
        confidence = math.nan
    if not math.isfinite(confidence):
        raise ValueError(f"{name}, line {line}: confidence {values['confidence']!r} is not a "
                         'finite number')
    return Prediction(id=values['id'].strip(), label=label, confidence=confidence)


def read_predictions(path: str | os.PathLike) -> list[Prediction]:
    """The predictions of one CSV, in file order; errors name the file and the line."""
    name = os.fspath(path)
    text = read_text(path, 'prediction CSV', hint='write it with tools/soups/predict.py')
    reader = csv.DictReader(io.StringIO(text, newline=''))
    try:
        fields, rows = reader.fieldnames or [], [(row, reader.line_num) for row in reader]
    except csv.Error as error:
        raise InputFileError(path, 'prediction CSV', f'line {reader.line_num + 1} is not valid '
                             f'CSV ({error})') from error
    missing = [column for column in REQUIRED_COLUMNS if column not in fields]
    if missing:
        raise ValueError(f'{name}: the header lacks column(s) {missing}; expected at least '
                         f'{",".join(REQUIRED_COLUMNS)}')
    predictions: list[Prediction] = []
    first_line: dict[str, int] = {}
    for row, line in rows:
        prediction = _parse_row(row, name, line)
        if prediction.id in first_line:
            raise ValueError(f'{name}, line {line}: id {prediction.id!r} was already predicted '
                             f'on line {first_line[prediction.id]}')
        first_line[prediction.id] = line
        predictions.append(prediction)
    return predictions


def _aligned(predictions_by_model: Sequence[Sequence[Prediction]], model_names: Sequence[str]
             ) -> tuple[list[str], list[dict[str, Prediction]]]:
    """The ids in the first model's order, and each model's predictions by id.

    Every model must predict each id exactly once, and all of them the same ids.
    """
    if len(predictions_by_model) != len(model_names):
        raise ValueError(f'{len(predictions_by_model)} prediction lists but '
                         f'{len(model_names)} model names; expected one name per model')
    if not predictions_by_model:
        raise ValueError('voting needs at least one model, got none')
    tables = []
    for predictions, name in zip(predictions_by_model, model_names):
        table: dict[str, Prediction] = {}
        for prediction in predictions:
            if prediction.id in table:
                raise ValueError(f'model {name} predicts id {prediction.id!r} more than once')
            table[prediction.id] = prediction
        tables.append(table)
    reference, reference_name = tables[0], model_names[0]
    for table, name in zip(tables[1:], model_names[1:]):
        for sample in reference:
            if sample not in table:
                raise ValueError(f'model {name} has no prediction for id {sample!r}, which '
                                 f'{reference_name} has; expected every model to cover the same '
                                 'ids')
        for sample in table:
            if sample not in reference:
                raise ValueError(f'model {name} predicts id {sample!r}, which {reference_name} '
                                 'does not; expected every model to cover the same ids')
    return list(reference), tables


def _elect(ballots: Sequence[tuple[Hashable, float]]) -> tuple[Hashable, int, float]:
    """Winner of ``(value, confidence)`` ballots given in model order, its votes and mean
    confidence: most votes, then highest summed confidence, then earliest model."""
    tally: dict[Hashable, tuple[int, float, int]] = {}
    for position, (value, confidence) in enumerate(ballots):
        votes, total, first = tally.get(value, (0, 0.0, position))
        tally[value] = (votes + 1, total + confidence, first)
    winner = max(tally, key=lambda value: (tally[value][0], tally[value][1], -tally[value][2]))
    votes, total, _ = tally[winner]
    return winner, votes, total / votes


def hard_vote(predictions_by_model: Sequence[Sequence[Prediction]],
              model_names: Sequence[str]) -> list[VoteResult]:
    """One vote per model per sample; results follow the first model's id order.

    ``model_names`` (e.g. the CSV paths) are aligned with ``predictions_by_model``; their order
    is the last tie-break.
    """
    ids, tables = _aligned(predictions_by_model, model_names)
    results = []
    for sample in ids:
        ballots = [(table[sample].label, table[sample].confidence) for table in tables]
        label, votes, confidence = _elect(ballots)
        results.append(VoteResult(sample, int(label), votes, confidence))
    return results


def _inverse(attributes: Mapping[int, Sequence[Hashable]]) -> dict[tuple[Hashable, ...], int]:
    """Class of each attribute tuple; the table must be one-to-one with tuples of one length."""
    inverse: dict[tuple[Hashable, ...], int] = {}
    lengths = {len(values) for values in attributes.values()}
    if len(lengths) != 1 or 0 in lengths:
        raise ValueError(f'attribute tuples have lengths {sorted(lengths)}; expected one '
                         'non-zero length for every class')
    for label, values in attributes.items():
        key = tuple(values)
        if key in inverse:
            raise ValueError(f'classes {inverse[key]} and {label} both have the attributes '
                             f'{key}; expected one class per attribute tuple')
        inverse[key] = label
    return inverse


def vote_attributes(predictions_by_model: Sequence[Sequence[Prediction]],
                    model_names: Sequence[str],
                    attributes: Mapping[int, Sequence[Hashable]]) -> list[VoteResult]:
    """Vote each attribute of composite labels on its own, then recompose the class.

    ``attributes`` maps every class to its attribute tuple (e.g. 18 classes to
    ``(mask, gender, age)``). Each attribute is elected with the rules of :func:`hard_vote`,
    each model voting with its confidence in its whole label. ``votes`` and ``confidence`` of a
    result are those of the least supported attribute.
    """
    inverse = _inverse(attributes)
    ids, tables = _aligned(predictions_by_model, model_names)
    results = []
    for sample in ids:
        ballots = []
        for table, name in zip(tables, model_names):
            prediction = table[sample]
            if prediction.label not in attributes:
                raise ValueError(f'model {name}, id {sample!r}: label {prediction.label} is not '
                                 'a class of the attribute table')
            ballots.append((tuple(attributes[prediction.label]), prediction.confidence))
        winners = []
        support = []
        for position in range(len(ballots[0][0])):
            value, votes, confidence = _elect([(values[position], confidence)
                                               for values, confidence in ballots])
            winners.append(value)
            support.append((votes, confidence))
        composite = tuple(winners)
        if composite not in inverse:
            raise ValueError(f'id {sample!r}: the winning attributes {composite} are no class '
                             'of the attribute table')
        votes, confidence = min(support)
        results.append(VoteResult(sample, inverse[composite], votes, confidence))
    return results


def write_votes(path: str | os.PathLike, results: Sequence[VoteResult]) -> None:
    """Write ``id,pred_label,votes,confidence`` atomically, one row per result."""
    with atomic_write(path, 'w') as handle:
        writer = csv.writer(handle, lineterminator='\n')
        writer.writerow(VOTE_COLUMNS)
        for result in results:
            writer.writerow([result.id, result.label, result.votes, result.confidence])

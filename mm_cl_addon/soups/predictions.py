"""Predictions of a classifier as CSV rows: sample id, predicted class, confidence."""
from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable

import torch
from torch import nn

from ..utils import atomic_write_text

COLUMNS = ('id', 'pred_label', 'confidence')


def sample_id(data_sample, fallback: int) -> str:
    """``img_path`` where the data set gives one, else the sample index."""
    metainfo = data_sample.metainfo
    if metainfo.get('img_path'):
        return str(metainfo['img_path'])
    return str(metainfo.get('sample_idx', fallback))


@torch.no_grad()
def predict_rows(model: nn.Module, batches: Iterable) -> list[dict]:
    """One row per sample, in loader order, from ``model.test_step``."""
    model.eval()
    rows: list[dict] = []
    for batch in batches:
        for data_sample in model.test_step(batch):
            score = data_sample.pred_score
            label = int(data_sample.pred_label)
            rows.append(dict(id=sample_id(data_sample, len(rows)), pred_label=label,
                             confidence=float(score[label])))
    return rows


def write_predictions(path: str | os.PathLike, rows: Iterable[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator='\n')
    writer.writeheader()
    for row in rows:
        writer.writerow({'id': row['id'], 'pred_label': row['pred_label'],
                         'confidence': f"{row['confidence']:.6f}"})
    atomic_write_text(path, buffer.getvalue())


def labels_by_id(dataset) -> dict[str, int]:
    """Ground truth keyed like the prediction CSVs (``img_path``, else the index)."""
    labels = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        labels[str(info.get('img_path') or index)] = int(info['gt_label'])
    return labels


def prediction_accuracy(predictions: Iterable, labels: dict[str, int], name: str = '') -> float:
    """Percentage of ``predictions`` (objects with ``id`` and ``label``) that match ``labels``.

    Every labelled sample must be predicted exactly once: a missing or unknown id is an
    error naming it, so a CSV of the wrong split cannot score silently.
    """
    predicted = {}
    for prediction in predictions:
        if prediction.id not in labels:
            raise KeyError(f'{name}: id {prediction.id!r} is not in the labelled split')
        predicted[prediction.id] = prediction.label
    missing = labels.keys() - predicted.keys()
    if missing:
        raise ValueError(f'{name}: {len(missing)} samples have no prediction, e.g. '
                         f'{sorted(missing)[:3]}')
    correct = sum(predicted[key] == label for key, label in labels.items())
    return 100.0 * correct / len(labels)

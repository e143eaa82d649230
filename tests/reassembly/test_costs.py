"""Per-block params and FLOPs: mmengine's FlopAnalyzer, and the Conv/Linear estimate."""
import torch

from mm_cl_addon.reassembly.costs import block_costs, estimate_flops, node_shapes_table
from mm_cl_addon.reassembly.features import extract_features

from .tiny_models import small_convnet


def test_block_costs_params_and_flops():
    model = small_convnet()
    costs, how = block_costs(model, ['stages.0', 'stages.1'], torch.zeros(1, 8, 8))
    assert how == 'mmengine.analysis.FlopAnalyzer'
    assert [c['params'] for c in costs] == [1 * 4 * 9 + 4 + 2 * 4, 4 * 8 * 9 + 8 + 2 * 8]
    convs = estimate_flops(model, ['stages.0', 'stages.1'], torch.zeros(1, 1, 8, 8))
    assert convs == {'stages.0': 4 * 8 * 8 * 9, 'stages.1': 8 * 4 * 4 * 4 * 9}
    assert all(c['flops'] >= convs[c['name']] for c in costs)  # FlopAnalyzer adds norms


def test_block_costs_fall_back_to_the_estimate(monkeypatch):
    import mmengine.analysis

    def broken(*args, **kwargs):
        raise AttributeError('no _modules')
    monkeypatch.setattr(mmengine.analysis, 'FlopAnalyzer', broken)
    costs, how = block_costs(small_convnet(), ['stages.0'], torch.zeros(1, 8, 8))
    assert how.startswith('estimate') and costs[0]['flops'] == 4 * 8 * 8 * 9


def test_node_shapes_table_joins_shapes_and_costs(images):
    model = small_convnet()
    result = extract_features(model, images, progress=False)
    costs, _ = block_costs(model, result.blocks, images[0])
    table = node_shapes_table(result, costs)
    assert [row['name'] for row in table] == ['stages.0', 'stages.1']
    assert [(row['in_node'], row['out_node']) for row in table] == [(0, 1), (1, 2)]
    assert table[0]['in_shape'] == [1, 8, 8] and table[1]['out_shape'] == [8, 2, 2]
    assert [row['params'] for row in table] == [c['params'] for c in costs]

"""candidate_groups: a partition's blocks as the integer program's groups, in depth order;
load_sizes: count_inout_size's JSON, and nothing else."""
import json
import pickle

import pytest

from mm_cl_addon.reassembly import Partition, PartitionBlock, solve_reassembly
from mm_cl_addon.reassembly.reassemble import candidate_groups, load_sizes, relative_depth
from tests.payloads import CreatesMarker


def sizes_of(num_nodes: int, width: int, params: int) -> dict:
    """count_inout_size's entry for a CNN of ``num_nodes`` blocks of ``params`` each."""
    return {'num_nodes': num_nodes,
            'node_shapes': [[width, 4, 4]] * (num_nodes + 1),
            'blocks': [{'in_node': i, 'params': params, 'flops': 10 * params}
                       for i in range(num_nodes)]}


SIZES = {'a': sizes_of(4, 8, 1), 'b': sizes_of(6, 8, 2)}


def test_groups_are_ordered_by_the_mean_relative_depth_of_their_members():
    # Group 0 holds the deep blocks and group 1 the shallow ones: the chain must still run
    # shallow before deep.
    blocks = (PartitionBlock('a', 2, 4, 0), PartitionBlock('a', 0, 2, 1),
              PartitionBlock('b', 3, 6, 0), PartitionBlock('b', 0, 3, 1))
    partition = Partition(blocks=blocks, centres=(blocks[0], blocks[1]), score=0.0)
    candidates = candidate_groups(partition, SIZES, {'a': 1.0, 'b': 2.0})
    assert candidates.order == [1, 0]
    assert candidates.depths == pytest.approx([0.25, 0.75])
    assert relative_depth(blocks[2], 6) == pytest.approx(0.75)
    assert [[b.name for b in group] for group in candidates.groups] == [
        ['a[0:2]', 'b[0:3]'], ['a[2:4]', 'b[3:6]']]
    best = solve_reassembly(candidates.groups, adapter_cost=candidates.adapter_cost)[0]
    assert candidates.spec(best) == [['b', 0, 3], ['b', 3, 6]]
    # Block costs sum the source blocks inside the part: b's nodes 4..6 are 3 blocks of 2.
    assert (candidates.groups[1][1].params, candidates.groups[1][1].flops) == (6.0, 60.0)


def test_partition_zoo_groups_keep_their_order():
    blocks = (PartitionBlock('a', 0, 1, 0), PartitionBlock('a', 1, 4, 1),
              PartitionBlock('b', 0, 4, 0), PartitionBlock('b', 4, 6, 1))
    partition = Partition(blocks=blocks, centres=(blocks[0], blocks[1]), score=0.0)
    candidates = candidate_groups(partition, SIZES, {'a': 1.0, 'b': 1.0})
    assert candidates.order == [0, 1]


def test_load_sizes_reads_count_inout_sizes_json(tmp_path):
    path = tmp_path / 'sizes.json'
    path.write_text(json.dumps(SIZES))
    assert load_sizes(path) == SIZES


@pytest.mark.parametrize('text, fault', [
    (json.dumps(SIZES)[:-20], 'is not valid JSON'),
    ('', r'is empty \(0 bytes\)'),
    ('[]', 'expected a mapping at the top level, got a list'),
    (json.dumps({'a': {'num_nodes': 4}}), r"model 'a' lacks keys \['node_shapes', 'blocks'\]"),
    (json.dumps({'a': [4]}), "model 'a' lacks keys"),
])
def test_a_truncated_empty_or_wrong_sizes_file_names_the_file(tmp_path, text, fault):
    path = tmp_path / 'sizes.json'
    path.write_text(text)
    with pytest.raises(ValueError, match=f'block-size file .*sizes\\.json: {fault}'):
        load_sizes(path)


def test_a_pickled_sizes_file_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / 'ran'
    path = tmp_path / 'sizes.pkl'
    path.write_bytes(pickle.dumps(CreatesMarker(marker)))
    with pytest.raises(ValueError, match=r'block-size file .*sizes\.pkl: is not UTF-8 text'):
        load_sizes(path)
    assert not marker.exists()

"""Reading ingredients from files and dicts, and the errors that name both ingredients."""
from __future__ import annotations

import pytest
import torch

from mm_cl_addon.compat import UnsafeCheckpointError
from mm_cl_addon.soups import check_compatible, is_averaged, read_state_dict


class _NotAllowed:
    """A class no allow-list knows: loading it would mean running the file's code."""


def _state() -> dict[str, torch.Tensor]:
    return {'head.fc.weight': torch.zeros(10, 64), 'bn.num_batches_tracked': torch.tensor(3)}


def test_reads_checkpoint_and_bare_files_and_dicts(tmp_path):
    state = _state()
    torch.save({'meta': {'epoch': 1}, 'state_dict': state}, tmp_path / 'ckpt.pth')
    torch.save(state, tmp_path / 'bare.pth')
    for source, name in ((tmp_path / 'ckpt.pth', str(tmp_path / 'ckpt.pth')),
                         (str(tmp_path / 'bare.pth'), str(tmp_path / 'bare.pth'))):
        loaded, got_name = read_state_dict(source)
        assert got_name == name
        assert loaded.keys() == state.keys()
        assert all(torch.equal(loaded[key], state[key]) for key in state)
    assert read_state_dict({'state_dict': state}, 4)[1] == '<in-memory #4>'
    assert read_state_dict(state)[1] == '<in-memory>'


def test_refuses_non_tensor_entries_and_unsafe_files(tmp_path):
    with pytest.raises(ValueError, match=r"<in-memory #0>.*key 'meta'"):
        read_state_dict({'meta': {'epoch': 1}, 'w': torch.zeros(1)}, 0)
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'hook': _NotAllowed()}, tmp_path / 'x.pth')
    with pytest.raises(UnsafeCheckpointError):
        read_state_dict(tmp_path / 'x.pth')
    with pytest.raises(FileNotFoundError):
        read_state_dict(tmp_path / 'absent.pth')


def test_shape_mismatch_names_parameter_and_both_files():
    other = {**_state(), 'head.fc.weight': torch.zeros(12, 64)}
    message = "parameter 'head.fc.weight': shape (10, 64) in a.pth but (12, 64) in b.pth"
    with pytest.raises(ValueError, match=message.replace('(', r'\(').replace(')', r'\)')):
        check_compatible(_state(), 'a.pth', other, 'b.pth')


def test_dtype_and_key_mismatches_are_named():
    half = {**_state(), 'head.fc.weight': torch.zeros(10, 64, dtype=torch.float16)}
    with pytest.raises(ValueError, match=r"'head.fc.weight': dtype torch.float32 in a.pth but "
                                         r'torch.float16 in b.pth'):
        check_compatible(_state(), 'a.pth', half, 'b.pth')
    renamed = {'head.weight': torch.zeros(10, 64), 'bn.num_batches_tracked': torch.tensor(0),
               'extra': torch.zeros(1)}
    with pytest.raises(ValueError) as info:
        check_compatible(_state(), 'a.pth', renamed, 'b.pth')
    text = str(info.value)
    assert "missing ['head.fc.weight']" in text and "extra ['head.weight', 'extra']" in text
    assert 'a.pth' in text and 'b.pth' in text
    check_compatible(_state(), 'a.pth', renamed, 'b.pth', keys=['bn.num_batches_tracked'])


def test_floats_are_averaged_integer_buffers_are_not():
    assert is_averaged(torch.zeros(2, dtype=torch.bfloat16))
    assert not is_averaged(torch.tensor(3))
    assert not is_averaged(torch.tensor([True]))

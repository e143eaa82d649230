"""Marked blocks: read, replaced in place, appended once, and their numbers compared."""
import pytest

from mm_cl_addon.utils.marked_blocks import numbers_differ, read_block, replace_block


def test_a_block_is_appended_once_then_replaced_in_place():
    page = '# Title\n\nprose\n'
    page = replace_block(page, 'demo', 'a 1.00', append_under='## Table\n\n')
    page = replace_block(page, 'demo', 'a 2.00')
    assert page.count('<!-- demo:begin -->') == 1 and '## Table' in page and 'prose' in page
    assert read_block(page, 'demo') == 'a 2.00'
    page = replace_block(page, 'soups', 'b 3.00', append_under='## Table\n\n')
    assert page.count('## Table') == 1 and page.index('demo:end') < page.index('soups:begin')
    with pytest.raises(KeyError, match="no block 'cka'"):
        read_block(page, 'cka')


def test_numbers_are_compared_in_order_within_the_tolerance():
    assert numbers_differ('x 17.78 y -99.31', 'x 17.90 y -99.31', 0.5) == []
    assert numbers_differ('x 17.78', 'x 18.90', 0.5) == ['number 1: page 17.78, run 18.9']
    assert numbers_differ('1 2', '1', 0.5) == ['the page shows 2 numbers, the run gave 1']

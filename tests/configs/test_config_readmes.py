"""Every method folder of configs/ has a README, and every config it names exists."""
import re
from itertools import product
from pathlib import Path

import pytest

CONFIGS = Path(__file__).resolve().parents[2] / 'configs'
FOLDERS = sorted(p for p in CONFIGS.iterdir() if p.is_dir() and p.name != '_base_')


def named_configs(readme: str) -> list[str]:
    """The backticked .py names of a README, ``{a,b}`` alternatives expanded."""
    names = []
    for name in re.findall(r'`([\w./{},-]+\.py)`', readme):
        parts = re.split(r'\{([^}]*)\}', name)
        choices = [part.split(',') if i % 2 else [part] for i, part in enumerate(parts)]
        names += [''.join(pick) for pick in product(*choices)]
    return names


@pytest.mark.parametrize('folder', FOLDERS, ids=lambda p: p.name)
def test_folder_has_a_readme_naming_only_configs_that_exist(folder):
    readme = (folder / 'README.md').read_text()
    names = [n for n in named_configs(readme) if not n.startswith(('tools/', 'configs/'))]
    assert names, f'{folder.name}/README.md names no config'
    missing = [n for n in names if '<' not in n and not (folder / n).is_file()]
    assert not missing, f'{folder.name}/README.md names configs that do not exist: {missing}'


def test_brace_alternatives_expand():
    assert named_configs('`a_{x,y}.py` and `b.py`') == ['a_x.py', 'a_y.py', 'b.py']

"""Refuse config mistakes that mmengine would train through or report without the key.

mmengine silently ignores a top-level key it does not know (``trian_cfg`` trains with no loop
settings), ``--cfg-options`` on a variable of the config file (already substituted when the file
was parsed), and an optimizer without ``lr`` (torch's default is used); an unknown optimizer type
surfaces as ``TypeError: None is not a callable object``. These checks run before the Runner is
built, so every such mistake is one message naming the key, before any work starts.
"""
from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterator, Mapping
from numbers import Real
from typing import Any

from mmengine.config import Config, DictAction
from mmengine.runner import Runner
from mmpretrain.registry import OPTIM_WRAPPERS, OPTIMIZERS

# Top-level keys that Runner.from_cfg or mmengine/mmpretrain read besides Runner's arguments.
EXTRA_RUNNER_KEYS = frozenset({
    'runner_type', 'model_wrapper_cfg', 'compile', 'sync_bn', 'find_unused_parameters',
    'activation_checkpointing', 'efficient_conv_bn_eval', 'custom_imports', 'gpu_ids',
    'vis_backends', 'strategy', 'auto_scale_lr'})
# The hooks mmengine's Runner registers by name, plus mmpretrain's visualization hook.
DEFAULT_HOOK_NAMES = frozenset({'runtime_info', 'timer', 'sampler_seed', 'logger',
                                'param_scheduler', 'checkpoint', 'visualization'})
SIMILAR = 0.8
TYPE_SIMILAR = 0.6  # short type names: 'SDG' is 0.67 from 'SGD'


class ConfigError(ValueError):
    """A config key or value that would make the run do something other than asked."""


def parse_override_values(raw: Mapping[str, str] | None) -> dict[str, Any] | None:
    """``{key: 'text'}`` with each text parsed as mmengine's ``DictAction`` parses it
    (numbers, booleans, None, lists and tuples); for command lines read without mmengine."""
    if raw is None:
        return None
    return {key: DictAction._parse_iterable(value) if isinstance(value, str) else value
            for key, value in raw.items()}


def runner_keys() -> frozenset[str]:
    """Every top-level config key that the Runner uses."""
    params = inspect.signature(Runner.__init__).parameters
    return frozenset(name for name in params if name != 'self') | EXTRA_RUNNER_KEYS


def _nearest(name: str, known: frozenset[str] | set[str], cutoff: float = SIMILAR) -> str | None:
    """The known name most like ``name``, ignoring case, if any is close enough."""
    by_lower = {candidate.lower(): candidate for candidate in known}
    match = difflib.get_close_matches(name.lower(), by_lower, n=1, cutoff=cutoff)
    return by_lower[match[0]] if match else None


def misspelled_runner_keys(cfg: Config) -> dict[str, str]:
    """Top-level keys that the Runner ignores but that look like one of its keys."""
    known = runner_keys()
    suspects = {}
    for key in cfg.keys():
        if key not in known and not key.startswith('_'):
            match = _nearest(key, known)
            if match:
                suspects[key] = match
    return suspects


def check_top_level_keys(cfg: Config) -> None:
    """Refuse top-level keys that look like a misspelled Runner key."""
    suspects = misspelled_runner_keys(cfg)
    if suspects:
        named = ', '.join(f'{key!r} (did you mean {match!r}?)' for key, match in suspects.items())
        raise ConfigError(f'{cfg.filename or "config"}: top-level key {named} is not a Runner '
                          'argument and would be ignored')


def _paths_named(node: Any, name: str, prefix: str = '') -> Iterator[str]:
    """Dotted paths of every key called ``name`` below ``node``."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f'{prefix}{key}'
            if key == name and prefix:
                yield path
            yield from _paths_named(value, name, f'{path}.')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from _paths_named(value, name, f'{prefix}{index}.')


def check_overrides(cfg: Config, options: Mapping[str, Any]) -> None:
    """Refuse ``--cfg-options`` items whose top-level key the Runner never reads."""
    known = runner_keys()
    for option in options:
        top = option.split('.', 1)[0]
        if top in known:
            continue
        if top in cfg:
            users = sorted(set(_paths_named(cfg.to_dict(), top)))
            instead = (f'; override the keys that use it instead: {", ".join(users)}' if users
                       else '')
            raise ConfigError(f'--cfg-options {option}: {top!r} is a variable of the config '
                              'file, already substituted where the file uses it, so changing it '
                              f'here would change nothing{instead}')
        match = _nearest(top, known)
        hint = f'; did you mean {match!r}?' if match else ''
        raise ConfigError(f'--cfg-options {option}: {top!r} is not a key the Runner reads{hint}')


def _optimizer_problem(optimizer: Mapping) -> str | None:
    """What is wrong with ``optim_wrapper.optimizer``, as ``<sub-key> <fault>``."""
    kind = optimizer.get('type')
    if kind is None:
        return ": no 'type' (e.g. type='SGD')"
    if isinstance(kind, str) and OPTIMIZERS.get(kind) is None:
        match = _nearest(kind, set(OPTIMIZERS.module_dict) | set(_torch_optimizers()),
                         cutoff=TYPE_SIMILAR)
        return f'.type={kind!r} is not a registered optimizer' + (
            f'; did you mean {match!r}?' if match else '')
    if 'lr' not in optimizer:
        return (": no 'lr'; set the learning rate explicitly (torch's default would be used "
                'silently)')
    lr = optimizer['lr']
    if not isinstance(lr, Real) or isinstance(lr, bool) or not lr >= 0:
        return f'.lr={lr!r} must be a number >= 0'
    return None


def _torch_optimizers() -> list[str]:
    from torch import optim
    return [name for name, obj in vars(optim).items()
            if inspect.isclass(obj) and issubclass(obj, optim.Optimizer)]


def check_optimizer(cfg: Config) -> None:
    """Refuse an unknown optimizer or wrapper type, a missing ``lr`` or a non-numeric one."""
    wrapper = cfg.get('optim_wrapper')
    if not isinstance(wrapper, Mapping):
        return
    kind = wrapper.get('type')
    if isinstance(kind, str) and OPTIM_WRAPPERS.get(kind) is None:
        raise ConfigError(f'optim_wrapper.type={kind!r} is not a registered optimizer wrapper')
    optimizer = wrapper.get('optimizer')
    if isinstance(optimizer, Mapping):
        problem = _optimizer_problem(optimizer)
        if problem:
            raise ConfigError(f'optim_wrapper.optimizer{problem}')


def check_default_hooks(cfg: Config) -> None:
    """Refuse ``default_hooks`` names that look like a misspelled default hook."""
    hooks = cfg.get('default_hooks') or {}
    for name in hooks:
        if name not in DEFAULT_HOOK_NAMES:
            match = _nearest(name, DEFAULT_HOOK_NAMES)
            if match:
                raise ConfigError(f'default_hooks.{name}: not a default hook name; did you mean '
                                  f'default_hooks.{match}? (a new name adds a second hook)')


def check_config(cfg: Config) -> None:
    """Every check of this module, in the order a user would fix them."""
    check_top_level_keys(cfg)
    check_default_hooks(cfg)
    check_optimizer(cfg)

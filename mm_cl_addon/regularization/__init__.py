"""State of the regularisation strategies: Fisher information and EWC anchors, previous models."""
from .ewc import EWC_MODES, EWCState
from .fisher import empirical_fisher

__all__ = ['EWC_MODES', 'EWCState', 'empirical_fisher']

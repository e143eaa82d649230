"""Evaluation metrics; registered into mmpretrain's ``METRICS`` on import."""
from .rankme import RankMe, rankme

__all__ = ['RankMe', 'rankme']

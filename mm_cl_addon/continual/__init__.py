"""The continual-learning core: task splits, loops, task hooks and metrics."""
from .buffer_dataset import ReplayBufferDataset, buffer_dataset_cfg
from .eval_loop import ContinualTestLoop, ContinualValLoop
from .gdumb_buffer import GDumbBuffer
from .metrics import (
                      average_accuracy,
                      average_forgetting,
                      backward_transfer,
                      forward_transfer,
                      summarize,
)
from .replay_buffer import RandomReplacementBuffer, ReplayBuffer
from .task_hook import TaskHook, is_resuming
from .task_split import Task, TaskSplitDataset, TaskSubset, plan_tasks
from .train_loop import ContinualTrainLoop, Phase

__all__ = [
    'ContinualTestLoop', 'ContinualTrainLoop', 'ContinualValLoop', 'GDumbBuffer', 'Phase',
    'RandomReplacementBuffer', 'ReplayBuffer', 'ReplayBufferDataset', 'Task',
    'TaskHook', 'TaskSplitDataset', 'TaskSubset', 'average_accuracy', 'average_forgetting',
    'backward_transfer', 'buffer_dataset_cfg', 'forward_transfer', 'is_resuming',
    'plan_tasks', 'summarize'
]

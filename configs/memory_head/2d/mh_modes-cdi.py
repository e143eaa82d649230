# mh on MODES-CDI, online (batch size 1, one pass); see _base_/mh.py. Table 1 of the
# Continual Neural Computation supplement sets the key age threshold (50); the optimizer,
# step size, similarity and number of memories were tuned on the validation stream (below).
_base_ = ['./_base_/modes-cdi.py', './_base_/mh.py']

model = dict(head=dict(
    tau_mu=50, similarity='euclidean', gamma=0.05, tau_eta=-0.2, num_memories=16))
custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='MemoryKeyUpdateHook')]
selection = dict(grid=_base_.head_grid)  # merged into online_2d.py's grid
# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} x similarity {cosine (Table
# 1), euclidean tau_eta -0.2 or -0.4} x memories {8, 16} chose Adam lr 0.1, similarity euclidean,
# gamma 0.05, tau_eta -0.2, num_memories 16: final-model val accuracy 99.75 +- 0.20.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=0.1, weight_decay=0.0))

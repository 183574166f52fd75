"""The optimiser object of a run: torch's Adam where autograd steps, a light holder of Adam's state elsewhere.

The fused, CUDA-graph and streamed engines write Adam's update themselves (`engine.step.AdamState`); they need
only a place for the learning rate and the moments, in torch's own layout so that checkpoints and a change of
engine see one optimiser. `torch.optim.Adam` is that place for the eager engine, the reference, which calls its
``step``. For the
others, `AdamSlots` holds the same ``param_groups`` and ``state`` without being a `torch.optim.Optimizer`:
constructing one imports torch._dynamo (torch's optimisers decorate their methods with it), which costs 1-5 s of
CPU in every process that trains -- for an optimiser whose ``step`` the fast engines never call.
"""

from __future__ import annotations

from collections import defaultdict

import torch

__all__ = ["ADAM_DEFAULTS", "AdamSlots", "make_optimizer"]

# torch.optim.Adam's defaults, which every engine's update follows (Kingma & Ba 2015).
ADAM_DEFAULTS = {"betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0, "amsgrad": False, "maximize": False,
                 "foreach": True, "capturable": False, "differentiable": False, "fused": None, "decoupled_weight_decay":
                 False}


class AdamSlots:
    """Adam's learning rate and moments for an engine that updates them itself.

    ``param_groups`` (one group, ``lr`` driven by the plateau schedule) and ``state`` (parameter -> ``{"step",
    "exp_avg", "exp_avg_sq"}``, created by `AdamState`) as `torch.optim.Adam` has them; `state_dict` and
    `load_state_dict` use torch's format, so a checkpoint is the same whichever engine wrote it.
    """

    def __init__(self, params, lr: float):
        self.params = list(params)
        self.param_groups = [{"params": self.params, "lr": float(lr), **ADAM_DEFAULTS}]
        self.state: dict[torch.Tensor, dict] = defaultdict(dict)  # as torch's: filled by `AdamState`

    def state_dict(self) -> dict:
        index = {id(p): i for i, p in enumerate(self.params)}
        groups = [{**{k: v for k, v in group.items() if k != "params"}, "params": list(range(len(self.params)))}
                  for group in self.param_groups]
        return {"state": {index[id(p)]: dict(s) for p, s in self.state.items()}, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        (group,) = state_dict["param_groups"]
        self.param_groups[0].update({k: v for k, v in group.items() if k != "params"})
        if isinstance(self.param_groups[0]["betas"], list):
            self.param_groups[0]["betas"] = tuple(self.param_groups[0]["betas"])
        self.state = defaultdict(dict)
        for i, saved in state_dict["state"].items():
            p = self.params[int(i)]
            self.state[p] = {key: value.to(p.device) if key != "step" else value.to(torch.float32).cpu()
                             for key, value in saved.items()}


def make_optimizer(engine: str, params, lr: float):
    """The optimiser for a resolved `engine`: `torch.optim.Adam` for "eager" (the reference, whose ``step`` it
    calls), `AdamSlots` for the engines that write Adam's update themselves ("fused", "cuda_graph", "stream")."""
    if engine in ("fused", "cuda_graph", "stream"):
        return AdamSlots(params, lr)
    return torch.optim.Adam(params, lr=lr, foreach=True)

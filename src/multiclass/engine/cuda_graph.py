"""`CudaGraphEngine`: the training step captured as CUDA graphs, replayed with no host work per step.

On a GPU the seed network's step is ~30 tiny kernels whose launch costs (a few microseconds each, issued from
Python) dwarf their run time. Captured once in a CUDA graph, a replay launches them all in one call. Every
value a step needs lives on the device, so nothing is read back to the host inside an epoch:

- the epoch's permutation is copied into a static ``order`` buffer, and a device ``cursor`` (the batch number)
  selects the batch rows in the graph: ``order[cursor * B + arange(B)]``, then ``index_select`` of X and y;
- Adam's two step-dependent scalars (lr / bias correction 1, sqrt of bias correction 2) are computed on the
  host for the whole epoch, from the optimiser's current lr, and copied once into a device table that the
  graph reads at row ``cursor`` (`AdamState.update_on_device`): exact torch values, and ``ReduceLROnPlateau``
  still works;
- the loss is summed on the device and read once per epoch.

One graph holds `steps_per_graph` consecutive steps (fewer replays), a second holds one step for the
remainder, and a last partial batch (n % B rows) runs the same step eagerly. Capturing runs warm-up steps, so
the state is saved before and restored after. If capture fails (old driver, an op that cannot be captured) the
engine warns once and runs the very same step eagerly on the device. With ``use_graphs=False`` it runs eagerly
anywhere -- which is how its step logic is tested on a CPU.

Replaying graphs removes the launch cost, but each of the step's ~50 GPU operations still runs as its own
kernel of a few microseconds (measured on an H100: 140 us of GPU work per step, 0.28 s per MNIST epoch).
``compile_step=True`` first passes the step through ``torch.compile``: Inductor fuses the loss, bias gradients,
activation derivatives and Adam into a few kernels around the 8 matrix products (25 operations, 55 us per step,
0.114 s per epoch, the same losses). Compiling costs ~13 s once per process (less from Inductor's cache), so
`compile_pays_off` decides it from the number of steps a run will take. If compiling fails (no Triton, no C
compiler), the engine warns once and captures the plain step.
"""

from __future__ import annotations

import contextlib
import logging
import warnings

import torch

from multiclass.engine.step import AdamState, FusedStep, Objective
from multiclass.exceptions import EngineFallbackWarning

__all__ = ["COMPILE_MIN_STEPS", "CudaGraphEngine", "compile_pays_off"]

logger = logging.getLogger("multiclass.engine")

# Steps per captured graph: replay overhead (~10 us) is amortised over this many steps, while capture time and
# graph memory stay small (each step is ~30 nodes). 1,875 MNIST steps per epoch -> 58 replays of 32 + 19 of 1.
STEPS_PER_GRAPH = 32
# Warm-up steps on a side stream before capture: lets cuBLAS and the caching allocator set themselves up.
_WARMUP_STEPS = 3
# A run of at least this many steps compiles its step: 13.2 s of first compilation against 89 us saved per step
# (measured on an H100 with the seed network: 0.281 -> 0.114 s per 1,875-step epoch), even after ~149,000 steps.
COMPILE_MIN_STEPS = 150_000


def compile_pays_off(n_steps: int) -> bool:
    """Whether a run of `n_steps` training steps should compile its CUDA-graph step (``compile_step="auto"``)."""
    return n_steps >= COMPILE_MIN_STEPS

_warned = False


def _warn_once(message: str) -> None:
    global _warned
    logger.warning(message)
    if not _warned:
        _warned = True
        warnings.warn(message, EngineFallbackWarning, stacklevel=4)  # _capture_graphs, _capture, run_epoch


class CudaGraphEngine:
    """Hand-written step (`FusedStep`) with device-side batching and Adam, replayed from CUDA graphs.

    Parameters
    ----------
    model : MLP
    X : tensor of shape (n_samples, n_features), float32, on the training device
    targets : tensor of shape (n_samples,) int64 or (n_samples, K) float32
    objective : Objective
    batch_size : int
    optimizer : torch.optim.Adam
    use_graphs : bool, default=True
        Capture CUDA graphs (CUDA only); False runs the same device-side step eagerly.
    steps_per_graph : int, default=STEPS_PER_GRAPH
    precision : {"float32", "bfloat16"}, default="float32"
        "bfloat16": the step's matrix products from bfloat16 operands (`FusedStep`'s `compute_dtype`).
    compile_step : bool, default=False
        Pass the step through ``torch.compile`` before capturing it (fewer, fused kernels; see the module
        docstring). Falls back to the plain step, with a warning, if compiling fails.
    """

    name = "cuda_graph"

    def __init__(self, model, X, targets, objective: Objective, batch_size: int, optimizer, *,
                 use_graphs: bool = True, steps_per_graph: int = STEPS_PER_GRAPH, precision: str = "float32",
                 compile_step: bool = False):
        device = X.device
        self.X, self.targets, self.batch_size = X, targets, batch_size
        params = list(model.parameters())
        self.adam = AdamState(optimizer, params)
        self.low = torch.bfloat16 if precision == "bfloat16" else None
        self.step = FusedStep(model, objective, self.adam, compute_dtype=self.low)
        self.n_full, self.n_tail = len(X) // batch_size, len(X) % batch_size
        self.steps_per_graph = max(1, min(steps_per_graph, self.n_full))
        # Static buffers the graphs read and write: their addresses must never change.
        self.n_batches = self.n_full + (self.n_tail > 0)
        self.order = torch.zeros(len(X), dtype=torch.int64, device=device)
        self.cursor = torch.zeros(1, dtype=torch.int64, device=device)  # the batch number within the epoch
        self.offsets = torch.arange(batch_size, device=device)
        self.loss_sum = torch.zeros((), dtype=torch.float32, device=device)
        self.corrections = torch.zeros(self.n_batches, 2, device=device)  # Adam's scalars per step of the epoch
        self.use_graphs = use_graphs and device.type == "cuda" and self.n_full > 0
        self.graphs = None
        self.backend = ("cuda graphs" if self.use_graphs else "eager") + (", bfloat16" if self.low else "")
        # What the graphs capture (or the eager loop calls): the step, or its compiled form once it has run once.
        self._step_fn = self._batch_step
        self._compile_pending = compile_step

    def _batch_step(self) -> None:
        """One step on batch number `cursor` of `order`, entirely on the device (this is what is captured)."""
        positions = torch.add(self.offsets, self.cursor, alpha=self.batch_size)  # (B,)
        idx = self.order.index_select(0, positions)
        corrections = self.corrections.index_select(0, self.cursor)[0]  # (2,)
        loss = self.step.on_device(self.X.index_select(0, idx), self.targets.index_select(0, idx), corrections)
        self.loss_sum.add_(loss, alpha=self.batch_size)
        self.cursor.add_(1)

    def _state(self) -> list[torch.Tensor]:
        return [*self.adam.params, *self.adam.exp_avgs, *self.adam.exp_avg_sqs, self.cursor, self.loss_sum]

    @contextlib.contextmanager
    def _state_restored(self):
        """Run steps whose effect must not count (capture's warm-up): every tensor they change is put back."""
        with torch.no_grad():  # the parameters are leaves that require grad: copy_ into them outside autograd
            saved = [t.clone() for t in self._state()]
        try:
            yield
        finally:
            with torch.no_grad():
                for tensor, value in zip(self._state(), saved):
                    tensor.copy_(value)

    def _capture(self) -> None:
        with self._state_restored():
            self._capture_graphs()

    def _capture_graphs(self) -> None:
        try:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                for _ in range(_WARMUP_STEPS):
                    self.cursor.zero_()
                    self._step_fn()
            torch.cuda.current_stream().wait_stream(side)
            # Each graph keeps its own memory pool: a few MB, and no reasoning needed about replay order.
            many, one = torch.cuda.CUDAGraph(), torch.cuda.CUDAGraph()
            with torch.cuda.graph(many):
                for _ in range(self.steps_per_graph):
                    self._step_fn()
            with torch.cuda.graph(one):
                self._step_fn()
            self.graphs = (many, one)
        except Exception as error:  # noqa: BLE001 -- any capture failure: same step, eagerly
            self.use_graphs, self.graphs = False, None
            self.backend = self.backend.replace("cuda graphs", "eager")
            torch.cuda.synchronize()
            _warn_once(f"CUDA graph capture failed ({type(error).__name__}: {error}); training continues with "
                       "the same step run eagerly on the GPU (same results, slower).")

    def _compile(self) -> None:
        """Compile the step and run it once (compilation happens then), its effect undone; on failure, warn
        once and keep the plain step."""
        self._compile_pending = False
        compiled = torch.compile(self._batch_step, dynamic=False, fullgraph=True)
        try:
            with self._state_restored():
                self.cursor.zero_()
                compiled()
        except Exception as error:  # noqa: BLE001 -- any compile failure: the plain step, same numbers
            _warn_once(f"torch.compile could not compile the training step ({type(error).__name__}: "
                       f"{str(error).splitlines()[0] if str(error) else ''}); training continues with the "
                       "uncompiled step (same results, slower).")
            return
        self._step_fn = compiled
        self.backend += ", compiled"

    def run_epoch(self, order: torch.Tensor) -> float:
        """Train on the rows of `order` (a permutation of all rows); return the sum over batches of loss x rows."""
        if len(order) != len(self.order):
            raise ValueError(f"`order` must hold all {len(self.order)} training rows; got {len(order)}.")
        done = self.adam.n_steps()
        self.order.copy_(order)
        self.cursor.zero_()
        self.loss_sum.zero_()
        self.corrections.copy_(self.adam.bias_corrections(done + 1, self.n_batches))
        if self._compile_pending:
            self._compile()
        if self.use_graphs and self.graphs is None:
            self._capture()
        if self.graphs is not None:
            many, one = self.graphs
            for _ in range(self.n_full // self.steps_per_graph):
                many.replay()
            for _ in range(self.n_full % self.steps_per_graph):
                one.replay()
        else:
            for _ in range(self.n_full):
                self._step_fn()
        if self.n_tail:  # the last, smaller batch has its own shape: run it eagerly
            idx = self.order[self.n_full * self.batch_size :]
            loss = self.step.on_device(self.X.index_select(0, idx), self.targets.index_select(0, idx),
                                       self.corrections[self.n_full])
            self.loss_sum.add_(loss, alpha=self.n_tail)
        self.adam.set_steps(done + self.n_batches)
        return float(self.loss_sum)

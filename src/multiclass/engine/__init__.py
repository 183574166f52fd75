"""Training engines: what runs the steps of one epoch. The loop (`multiclass.training.loop`) owns the rest.

An engine is built once per `train` call over the device-resident training data and the optimiser, and
``engine.run_epoch(order)`` trains on the rows of ``order`` batch by batch and returns the sum over batches of
``loss x rows`` (the loop divides by n). Validation, early stopping, best-weight restore, the LR schedule and
the history stay in the loop, identical for every engine.

=============  ==========================================================================================
"eager"        autograd + ``torch.optim.Adam``: the reference, any model, any device (`EagerEngine`)
"fused"        hand-written forward/backward + Adam; on CPU one compiled C call per epoch, else Python
               (`FusedEngine`)
"cuda_graph"   the hand-written step captured in CUDA graphs, batches chosen on the device (`CudaGraphEngine`)
"auto"         "cuda_graph" on CUDA, "fused" on CPU; "eager" for a model the hand-written step does not know
=============  ==========================================================================================

CSR rows (TF-IDF text) have their own step, `SparseEngine` (`sparse.py`): the first layer on each batch's terms
alone and lazy Adam on their columns; "eager" there asks for the densified reference (`StreamEngine`).

Mixed precision (``precision="bfloat16"``: matrix products in bfloat16, everything else float32) runs on the
eager engine (``torch.autocast``) and the CUDA-graph engine (explicit casts in `FusedStep`); "auto" then picks
"eager" on a CPU, where the compiled float32 epoch has no bfloat16 counterpart.

On CUDA, long runs also pass the captured step through ``torch.compile`` (``compile_step``: Inductor fuses its
small kernels; 2.4x faster per epoch for the seed network on an H100). "auto" does so for runs of at least
`cuda_graph.COMPILE_MIN_STEPS` steps, where the one-off compile time pays for itself.

Every engine keeps Adam's state in ``optimizer.state`` in torch's layout and reads lr from its param group,
so they are interchangeable; for a fixed seed and no dropout they give the same losses and weights to float
rounding (tests/test_engine*.py).
"""

from multiclass.lazy import lazy_face

_EXPORTS = {
    "ENGINES": "multiclass.engine.options:ENGINES",
    "AdamState": "multiclass.engine.step:AdamState",
    "CudaGraphEngine": "multiclass.engine.cuda_graph:CudaGraphEngine",
    "EagerEngine": "multiclass.engine.eager:EagerEngine",
    "Engine": "multiclass.engine.select:Engine",
    "FusedEngine": "multiclass.engine.fused:FusedEngine",
    "FusedStep": "multiclass.engine.step:FusedStep",
    "Objective": "multiclass.engine.step:Objective",
    "SparseEngine": "multiclass.engine.sparse:SparseEngine",
    "StreamEngine": "multiclass.engine.stream:StreamEngine",
    "compiled_status": "multiclass.engine.compiled:status",
    "make_engine": "multiclass.engine.select:make_engine",
    "resolve_engine": "multiclass.engine.select:resolve_engine",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)

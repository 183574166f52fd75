"""Training checkpoints: everything needed to continue a run exactly where it stopped, in one safetensors file.

A checkpoint holds the current and the best weights, Adam's moments, the learning-rate scheduler, the early
stopping state, the history, and -- for every rank -- the states of the two random generators (the data order's
and the global one dropout draws from). Resuming a CPU run from it gives the same final weights, bit for bit, as a run
that was never interrupted. The scalars travel as JSON in the safetensors header's metadata, so one atomic
rename publishes a consistent checkpoint; a kill at any moment leaves the previous checkpoint intact.
A fingerprint of the data and the configuration refuses a resume on anything else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from multiclass.atomic import write_bytes_atomic
from multiclass.exceptions import DataError, ModelFileError

__all__ = ["CheckpointState", "fingerprint", "save_checkpoint", "load_checkpoint", "checkpoint_path"]

FORMAT = "multiclass-checkpoint"
FORMAT_VERSION = 2  # 2: one pair of random states per rank (streamed training under torchrun)


def checkpoint_path(model_dir: str | Path) -> Path:
    """Where the checkpoint of a run writing `model_dir` lives: a sibling file, never inside the model."""
    model_dir = Path(model_dir)
    return model_dir.with_name(model_dir.name + ".checkpoint.safetensors")


def fingerprint(X: np.ndarray, y: np.ndarray, settings: dict) -> str:
    """SHA-256 of the training arrays and the settings that shape the run (config, model config)."""
    digest = hashlib.sha256()
    if hasattr(X, "indptr"):  # a CSR matrix: its three arrays are its content
        X = np.concatenate([X.indptr.astype(np.float64), X.indices.astype(np.float64), X.data.astype(np.float64)])
    for array in (X, y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.data)
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()


@dataclass
class CheckpointState:
    """What a resumed run restores (see the module docstring)."""

    epoch: int
    history: list
    model: dict
    best: dict | None
    optimizer: dict
    scheduler: dict | None
    stopper: dict
    generators: list  # per rank: the data order's generator state (uint8 tensor)
    global_rngs: list  # per rank: torch's global generator state (dropout masks)
    fingerprint: str


def _optimizer_tensors(state: dict) -> tuple[dict[str, np.ndarray], dict]:
    tensors, scalars = {}, {"param_groups": state["param_groups"], "state": {}}
    for index, entry in state["state"].items():
        scalars["state"][str(index)] = sorted(entry)
        for key, value in entry.items():
            tensors[f"optim.{index}.{key}"] = torch.as_tensor(value).detach().cpu().numpy()
    return tensors, scalars


def save_checkpoint(path: str | Path, state: CheckpointState) -> None:
    """Write `state` to `path` atomically (temporary file + fsync + rename)."""
    tensors = {f"model.{k}": v.detach().cpu().numpy() for k, v in state.model.items()}
    if state.best is not None:
        tensors.update({f"best.{k}": v.detach().cpu().numpy() for k, v in state.best.items()})
    optim_tensors, optim_scalars = _optimizer_tensors(state.optimizer)
    tensors.update(optim_tensors)
    for rank, (generator, global_rng) in enumerate(zip(state.generators, state.global_rngs, strict=True)):
        tensors[f"rng.generator.{rank}"] = generator.cpu().numpy()
        tensors[f"rng.global.{rank}"] = global_rng.cpu().numpy()
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "epoch": state.epoch,
        "history": state.history,
        "has_best": state.best is not None,
        "optimizer": optim_scalars,
        "scheduler": state.scheduler,
        "stopper": state.stopper,
        "fingerprint": state.fingerprint,
        "world_size": len(state.generators),
    }
    # json.dumps writes inf as Infinity (a scheduler's initial best): only this module reads it back.
    payload = save_safetensors(tensors, metadata={"state": json.dumps(document)})
    write_bytes_atomic(path, payload)


def load_checkpoint(path: str | Path, expected_fingerprint: str) -> CheckpointState:
    """Read a checkpoint and check it belongs to this run (same data, same settings)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no checkpoint to resume from (it is written during training, every "
                        "`checkpoint_every` epochs, and removed once the model is saved).")
    payload = path.read_bytes()
    try:
        arrays = load_safetensors(payload)
        header_len = int.from_bytes(payload[:8], "little")
        document = json.loads(json.loads(payload[8 : 8 + header_len])["__metadata__"]["state"])
    except (SafetensorError, ValueError, KeyError, TypeError):
        raise ModelFileError(f"{path}: not a multiclass checkpoint (unreadable or damaged).") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or \
            document.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path}: not a multiclass checkpoint of format version {FORMAT_VERSION}.")
    if document.get("fingerprint") != expected_fingerprint:
        raise DataError(f"{path}: the checkpoint was made with other data or settings; resume with the same "
                        "data file and options, or train from scratch without --resume.")
    try:
        return _state(document, arrays)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        field = error.args[0] if isinstance(error, KeyError) and error.args else type(error).__name__
        raise ModelFileError(f"{path}: the checkpoint is incomplete or damaged (field {field!r}); train from "
                             "scratch without --resume.") from None


def _state(document: dict, arrays: dict) -> CheckpointState:
    """The `CheckpointState` of a checked checkpoint's JSON document and arrays (KeyError/TypeError when a field is
    missing or of the wrong type)."""

    def group(prefix: str) -> dict:
        return {k[len(prefix):]: torch.from_numpy(v) for k, v in arrays.items() if k.startswith(prefix)}

    optim = document["optimizer"]
    optimizer = {
        "param_groups": optim["param_groups"],
        "state": {int(i): {key: torch.from_numpy(arrays[f"optim.{i}.{key}"]) for key in keys}
                  for i, keys in optim["state"].items()},
    }
    ranks = range(int(document["world_size"]))
    return CheckpointState(
        epoch=int(document["epoch"]),
        history=list(document["history"]),
        model=group("model."),
        best=group("best.") if document["has_best"] else None,
        optimizer=optimizer,
        scheduler=document["scheduler"],
        stopper=dict(document["stopper"]),
        generators=[torch.from_numpy(arrays[f"rng.generator.{r}"]) for r in ranks],
        global_rngs=[torch.from_numpy(arrays[f"rng.global.{r}"]) for r in ranks],
        fingerprint=document["fingerprint"],
    )

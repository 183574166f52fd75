"""A command's outputs and inputs, read from its flags, checked together before it runs (`jobs.outputs`).

Every command goes through `check_command_outputs`, so no command writes over its data, its model directory or
another of its own outputs, whatever flags it has; the commands still check their own outputs as before. Then
`check_command_inputs`: a data argument that names nothing, or a model directory that is not one, is said before
the command's module (torch, pandas, the readers) is imported -- at once, not seconds later; so is a `--target`
(or `--ignore` / `--categorical` name) that is no column of a CSV/TSV file (`multiclass.data.column_names`). The
library checks them again, with the same words.
"""

from __future__ import annotations

from pathlib import Path

from multiclass.data.column_names import check_named_columns
from multiclass.data.names import check_source
from multiclass.jobs.outputs import Output, check_outputs
from multiclass.modelfile import check_model_directory

__all__ = ["check_command_inputs", "check_command_outputs"]

# (attribute, flag, a model directory?) of every output flag; the attributes of every input.
_OUTPUTS = (("out", "--out", None), ("json_out", "--json", False), ("html", "--html", False))
_INPUTS = ("data", "model_dir", "model_a", "model_b", "predictions", "val_data", "cost_matrix", "costs", "labels",
           "resume")
# The inputs checked before the command's module is imported: data arguments (a file, folder or built-in name) of
# the commands that read them with `multiclass.data`, and model directories.
_DATA_INPUTS = {"train": ("data", "val_data"), "evaluate": ("data",), "compare": ("data",), "sweep": ("data",),
                "audit": ("data",)}
_MODEL_INPUTS = {"evaluate": ("model_dir",), "compare": ("model_a", "model_b")}
_TARGET_COMMANDS = ("train", "sweep", "audit")  # their --target, --ignore, --categorical name columns of the data
_MODEL_OUTPUTS = ("train", "sweep", "demo")  # their --out is a model directory
_FOLDER_OUTPUTS = ("audit",)  # their --out is a folder of files, which the command checks itself


def check_command_outputs(args) -> None:
    """Check the outputs that `args` names (see `multiclass.jobs.outputs.check_outputs`)."""
    outputs = [Output(flag, getattr(args, name), args.command in _MODEL_OUTPUTS if model is None else model,
                      folder=model is None and args.command in _FOLDER_OUTPUTS)
               for name, flag, model in _OUTPUTS if getattr(args, name, None)]
    if args.command == "train" and getattr(args, "resume", None):  # --resume names the output, not an input
        inputs = [getattr(args, name, None) for name in _INPUTS if name != "resume"]
        outputs = [Output("--out", args.resume, True)]
    else:
        inputs = [getattr(args, name, None) for name in _INPUTS]
    check_outputs(outputs, [path for path in inputs if path is not None and Path(path).exists()])


def check_command_inputs(args) -> None:
    """Raise DataError / ConfigError / ModelFileError for a data argument that names nothing, a `--target`,
    `--ignore` or `--categorical` name that is no column of a delimited text file, or a model directory that is not
    one (the messages of `multiclass.data.load_dataset` and
    `multiclass.persistence.load_model`)."""
    for name in _MODEL_INPUTS.get(args.command, ()):
        check_model_directory(getattr(args, name))
    if getattr(args, "kind", None) == "builtin":  # a name: the library says which names there are
        return
    for name in _DATA_INPUTS.get(args.command, ()):
        if getattr(args, name, None) is not None:
            check_source(getattr(args, name))
    if args.command in _TARGET_COMMANDS and getattr(args, "kind", None) in (None, "table", "text"):
        check_named_columns(args.data, getattr(args, "target", None), ignore=getattr(args, "ignore", ()),
                            categorical=getattr(args, "categorical", ()), sep=getattr(args, "sep", None),
                            header=getattr(args, "header", None), names=getattr(args, "names", None))

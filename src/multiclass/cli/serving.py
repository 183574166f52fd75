"""The commands that put a saved model to work -- ``predict``, ``export``, ``serve`` -- without importing torch:
they read the model directory with `multiclass.runtime` (numpy), so ``multiclass predict`` on a few rows answers in
a fraction of a second. The torch path is imported only when it is taken (``--runtime torch``, a streamed table).
"""

from __future__ import annotations

from multiclass.cli.messages import say
from multiclass.cli.summary import number
from multiclass.exceptions import ConfigError
from multiclass.jobs.inputs import check_output_path
from multiclass.jobs.predict import label_column
from multiclass.jobs.predict import predict as predict_rows

__all__ = ["COMMANDS", "export", "predict", "serve"]

_READER_OPTIONS = ("kind", "labels", "data_dir")


def predict(args, console) -> int:
    check_output_path(args.out, inputs=(args.data, args.model_dir))
    options = {name: getattr(args, name) for name in _READER_OPTIONS if getattr(args, name, None) is not None}
    n_rows = predict_rows(args.model_dir, args.data, args.out, top_k=args.top_k, runtime=args.runtime,
                          cost_matrix=args.cost_matrix, stream=args.stream or "auto", batch_rows=args.batch_rows,
                          keep_columns=args.keep_columns, sets=args.sets, critical=args.critical,
                          **options)
    console.print(say("predictions_written", args.lang, rows=number(n_rows, args.lang), path=args.out))
    label = label_column(args.model_dir, args.data)
    if label is not None and label in args.keep_columns:
        console.print(say("labels_kept", args.lang, column=label, path=args.out))
    elif label is not None:
        console.print(say("labels_not_kept", args.lang, column=label))
    return 0


def export(args, console) -> int:
    check_output_path(args.out, inputs=(args.model_dir,))
    try:
        from multiclass.export import export_onnx
    except ImportError as error:  # the onnx extra is not installed
        raise ConfigError(f"exporting to ONNX needs the onnx and onnxruntime packages ({error.name} is missing): "
                          "pip install 'multiclass[onnx]'.") from None
    path = export_onnx(args.model_dir, args.out, quantize=args.quantize)
    key = "onnx_written_int8" if args.quantize else "onnx_written"
    console.print(say(key, args.lang, path=path, size=number(path.stat().st_size, args.lang)))
    return 0


def serve(args, console) -> int:
    from multiclass.serve import serve as run_server  # imports uvicorn

    console.print(say("serving", args.lang, path=args.model_dir, host=args.host, port=args.port))
    run_server(args.model_dir, args.host, args.port, args.workers, name=args.name, max_batch=args.max_batch,
               max_queue=args.max_queue, max_rows=args.max_rows, deadline_ms=args.deadline_ms, top_k=args.top_k,
               access_log=args.access_log)
    return 0


COMMANDS = {"predict": predict, "export": export, "serve": serve}

"""`export_onnx`: a model directory -> ONE ONNX graph from raw columns to probabilities, the preprocessing inside.

Graph inputs, one per model field (see `multiclass.export.inputs.onnx_inputs`, which makes them from raw columns):

- table, numeric and boolean fields: float64 (N, 1), NaN where missing (booleans 0/1);
- table, categorical fields: string (N, 1), the empty string where missing;
- text: the tokens, string (N, T) padded with "" -- the stated limit: ONNX has no Unicode ``\\w+`` tokenizer or
  NFC normalisation, so lowercasing, NFC and splitting happen before the graph (`multiclass.export.inputs`),
  the n-grams, term counts (``TfIdfVectorizer``), idf and L2 norm inside it;
- images: uint8 pixels (N, H, W, C) already decoded and resized to the saved size and mode -- decoding an image
  file is outside ONNX too; the scaling to [0, 1] is inside;
- pixel / feature tensors (``scale``, ``standardize``, no preprocessor): float32 (N, D) or float64 (N, D).

Inside: imputation, standardization, one-hot with ``<missing>`` and ``<unknown>`` (``LabelEncoder`` +
``Equal``), then the network in float32, log-softmax in float64, the temperature, the decision rule. Outputs:
``probabilities`` float32 (N, K) (calibrated) and ``label`` (N,) (the decision: class names as strings, or int64
when the training labels were integers). Metadata: the classes, the version, the fields, the decision rule.
Opset pinned (`OPSET`); the graph passes ``onnx.checker.check_model(full_check=True)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from multiclass._version import __version__
from multiclass.export.graph import Graph
from multiclass.runtime import RuntimeModel, load_runtime
from multiclass.runtime.features.table import MISSING

__all__ = ["ML_OPSET", "OPSET", "build_onnx", "export_onnx"]

OPSET = 18  # ai.onnx: LogSoftmax, Erf, TfIdfVectorizer, OneHot, Where... (onnxruntime >= 1.14)
ML_OPSET = 3  # ai.onnx.ml: LabelEncoder with string keys
IR_VERSION = 9  # readable by onnxruntime >= 1.16
ROWS = "N"


def _table(g: Graph, features) -> str:
    """(N, n_features) float64 of the table fields, in the preprocessor's column order."""
    pieces, columns = [], []  # value names, and for each piece the output columns it fills
    numeric = [(at, spec) for at, spec in zip(_starts(features), features.specs) if spec["type"] == "numeric"]
    boolean = [(at, spec) for at, spec in zip(_starts(features), features.specs) if spec["type"] == "bool"]
    for group, stats, standardize in ((numeric, (features.mean, features.scale), True),
                                      (boolean, (features.bool_fill, None), False)):
        if not group:
            continue
        raw = group[0][1]["name"] if len(group) == 1 else g.op(
            "Concat", [spec["name"] for _, spec in group], axis=1)  # (N, n) float64
        missing = g.op("IsNaN", [raw])
        if standardize:
            logged = np.array([bool(spec.get("log")) for _, spec in group])
            if logged.any():  # heavy-tailed columns: sign(x) ln(1 + |x|) first (`multiclass.skew`)
                log = g.op("Mul", [g.op("Sign", [raw]), g.op("Log", [g.op("Add", [g.op("Abs", [raw]),
                                                                                  g.const(np.float64(1.0))])])])
                raw = g.op("Where", [g.const(logged), log, raw]) if not logged.all() else log
            value = g.op("Div", [g.op("Sub", [raw, g.const(stats[0])]), g.const(stats[1])])
            fill = g.const(np.zeros(len(group)))
        else:
            value, fill = raw, g.const(stats[0])
        pieces.append(g.op("Where", [missing, fill, value]))
        columns.append([at for at, _ in group])
        flagged = [i for i, (_, spec) in enumerate(group) if spec["missing_indicator"]]
        if flagged:
            indicators = g.op("Cast", [missing], to=TensorProto.DOUBLE)
            pieces.append(g.op("Gather", [indicators, g.const(np.array(flagged, dtype=np.int64))], axis=1))
            columns.append([group[i][0] + 1 for i in flagged])
    for at, spec, index in zip(_starts(features), features.specs, features.index):
        if index is None:
            continue
        keys = list(index) + ([""] if MISSING in index else [])  # the graph's missing value is ""
        values = list(index.values()) + ([index[MISSING]] if MISSING in index else [])
        codes = g.op("LabelEncoder", [spec["name"]], domain="ai.onnx.ml", keys_strings=keys, values_int64s=values,
                     default_int64=len(index))  # (N, 1); unknown -> the block's last column
        depth = len(index) + 1
        hot = g.op("Equal", [codes, g.const(np.arange(depth, dtype=np.int64))])  # (N, depth): one-hot
        pieces.append(g.op("Cast", [hot], to=TensorProto.DOUBLE))
        columns.append(list(range(at, at + depth)))
    joined = g.op("Concat", pieces, axis=1) if len(pieces) > 1 else pieces[0]
    order = np.argsort(np.concatenate([np.asarray(c) for c in columns]))  # piece column -> output column
    return g.op("Gather", [joined, g.const(order.astype(np.int64))], axis=1)


def _starts(features) -> list[int]:
    return np.concatenate([[0], np.cumsum(features.widths)[:-1]]).astype(int).tolist()


def _text(g: Graph, features) -> str:
    """TF-IDF (N, V) float64 of the token input."""
    low, high = features.ngram_range
    pool, counts, indexes = [], [], []  # n-grams' words, where each n starts in the pool, each n-gram's column
    for n in range(1, high + 1):
        counts.append(len(pool))
        for term, column in features.index.items():
            if len(term.split(" ")) == n:
                pool += term.split(" ")
                indexes.append(column)
    tf = g.op("TfIdfVectorizer", [features.fields[0].name], mode="TF", min_gram_length=low, max_gram_length=high,
              max_skip_count=0, ngram_counts=counts, ngram_indexes=indexes, pool_strings=pool)  # (N, V) float32
    tf = g.op("Cast", [tf], to=TensorProto.DOUBLE)
    if features.sublinear_tf:  # 1 + ln(count) where a term occurs, 0 elsewhere
        zero = g.const(np.float64(0.0))
        tf = g.op("Where", [g.op("Greater", [tf, zero]), g.op("Add", [g.op("Log", [tf]), g.const(np.float64(1.0))]),
                            zero])
    weighted = g.op("Mul", [tf, g.const(features.idf)])
    norm = g.op("Sqrt", [g.op("ReduceSum", [g.op("Mul", [weighted, weighted]),
                                            g.const(np.array([1], dtype=np.int64))], keepdims=1)])
    safe = g.op("Where", [g.op("Equal", [norm, g.const(np.float64(0.0))]), g.const(np.float64(1.0)), norm])
    return g.op("Div", [weighted, safe])  # an empty text stays a zero row


def _inputs(g: Graph, features) -> str:
    """Declare the graph inputs of `features` and return the (N, n_features) float32 features."""
    kind = features.kind
    if kind == "table":
        for field in features.fields:
            g.input(field.name, TensorProto.STRING if field.type == "category" else TensorProto.DOUBLE, [ROWS, 1])
        return g.op("Cast", [_table(g, features)], to=TensorProto.FLOAT)
    if kind == "tfidf":
        g.input(features.fields[0].name, TensorProto.STRING, [ROWS, "T"])
        return g.op("Cast", [_text(g, features)], to=TensorProto.FLOAT)
    if kind == "image":
        pixels = g.input("image", TensorProto.UINT8, [ROWS, *features.shape])
        flat = g.op("Reshape", [pixels, g.const(np.array([-1, features.n_features], dtype=np.int64))])
        return g.op("Div", [g.op("Cast", [flat], to=TensorProto.FLOAT), g.const(np.float32(255.0))])
    if kind == "scale":
        x = g.input("input", TensorProto.FLOAT, [ROWS, features.n_features])
        return g.op("Div", [x, g.const(np.float32(features.divisor))])
    x = g.input("input", TensorProto.DOUBLE, [ROWS, features.n_features])  # standardize
    z = g.op("Div", [g.op("Sub", [x, g.const(features.mean)]), g.const(features.scale)])
    return g.op("Cast", [z], to=TensorProto.FLOAT)


def build_onnx(model: RuntimeModel) -> onnx.ModelProto:
    """The ONNX model of a loaded `RuntimeModel` (see the module docstring)."""
    g = Graph()
    x = _inputs(g, model.features)
    network = model.network
    for i, (weight_t, bias) in enumerate(zip(network.weights, network.biases)):
        x = g.linear(x, weight_t.T, bias)  # (N, width_i)
        if i < len(network.weights) - 1:
            x = g.activation(x, model.document["model_config"].get("activation", "relu"))
    log_probs = g.log_softmax64(x)  # (N, K) float64, uncalibrated
    policy = model.policy
    calibrated = log_probs if policy.temperature == 1.0 else g.op(
        "LogSoftmax", [g.op("Div", [log_probs, g.const(np.float64(policy.temperature))])], axis=1)
    probs64 = g.op("Exp", [calibrated])
    if policy.rule == "cost":
        codes = g.op("ArgMin", [g.op("MatMul", [probs64, g.const(policy.cost_matrix)])], axis=1, keepdims=0)
    elif policy.rule == "offsets":
        codes = g.op("ArgMax", [g.op("Add", [calibrated, g.const(policy.offsets)])], axis=1, keepdims=0)
    else:
        codes = g.op("ArgMax", [log_probs], axis=1, keepdims=0)
    integer = model.target_dtype == "int"
    names = np.array([int(c) for c in model.classes], dtype=np.int64) if integer else np.array(model.classes,
                                                                                               dtype=object)
    label = g.op("Gather", [g.const(names, "classes"), codes], axis=0)
    k = len(model.classes)
    g.output(g.op("Cast", [probs64], to=TensorProto.FLOAT), "probabilities", TensorProto.FLOAT, [ROWS, k])
    g.output(label, "label", TensorProto.INT64 if integer else TensorProto.STRING, [ROWS])
    graph = helper.make_graph(g.nodes, f"multiclass_{model.path.name}", g.inputs, g.outputs, g.initializers)
    proto = helper.make_model(graph, producer_name="multiclass", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("ai.onnx.ml", ML_OPSET)])
    proto.ir_version = IR_VERSION
    metadata = {
        "format": "multiclass-onnx", "classes": json.dumps(list(model.classes)), "model_version": model.version,
        "decision_rule": policy.rule, "temperature": repr(policy.temperature), "preprocessor": model.features.kind,
        "fields": json.dumps([f.to_dict() for f in model.features.fields]),
        "limits": "text inputs are tokens (lowercased, NFC, \\w+ runs) and images decoded uint8 pixels: see "
                  "multiclass.export.inputs.onnx_inputs",
    }
    helper.set_model_props(proto, metadata)
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model_dir: str | Path, out: str | Path, *, quantize: bool = False) -> Path:
    """Write the model in `model_dir` as one ONNX file `out` (raw columns in, probabilities and label out).

    Parameters
    ----------
    model_dir : str or Path
    out : str or Path
        Written atomically.
    quantize : bool, default=False
        Dynamic int8 quantisation of the weight matrices (onnxruntime.quantization): a file ~4x smaller whose
        probabilities move by ~1e-3 (bench/RESULTS.md); the preprocessing stays exact.

    Raises
    ------
    ModelFileError
        The model directory is missing or damaged.
    """
    from multiclass.atomic import write_bytes_atomic

    proto = build_onnx(load_runtime(model_dir))
    payload = proto.SerializeToString()
    if quantize:
        payload = _quantized(payload)
    write_bytes_atomic(out, payload)
    return Path(out)


def _quantized(payload: bytes) -> bytes:
    import tempfile

    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "float.onnx", Path(folder) / "int8.onnx"
        source.write_bytes(payload)
        quantize_dynamic(source, target, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"])
        return target.read_bytes()

"""Data ingestion: every source (table, text, IDX, npz, image folder, built-in name) -> one `Dataset` value.

`load_dataset` reads training data and fits the source's preprocessor; `load_for_prediction` reads new data through
an already fitted preprocessor (rebuilt from a model file with `preprocessor_from_state`), so a saved model turns
the same input into byte-identical features.
"""

from multiclass.lazy import lazy_face

_EXPORTS = {
    "Dataset": "multiclass.data.dataset:Dataset",
    "columns_listing": "multiclass.data.column_names:columns_listing",
    "KINDS": "multiclass.data.dataset:KINDS",
    "Preprocessor": "multiclass.data.preprocessing:Preprocessor",
    "ScalePreprocessor": "multiclass.data.preprocessing:ScalePreprocessor",
    "StandardizePreprocessor": "multiclass.data.preprocessing:StandardizePreprocessor",
    "TablePreprocessor": "multiclass.data.table:TablePreprocessor",
    "TfidfPreprocessor": "multiclass.data.text:TfidfPreprocessor",
    "ImagePreprocessor": "multiclass.data.images:ImagePreprocessor",
    "preprocessor_from_state": "multiclass.data.preprocessing:preprocessor_from_state",
    "registered_kinds": "multiclass.data.preprocessing:registered_kinds",
    "load_dataset": "multiclass.data.load:load_dataset",
    "load_for_prediction": "multiclass.data.load:load_for_prediction",
    "summarize_dataset": "multiclass.data.summary:summarize_dataset",
    "summarize_scan": "multiclass.data.summary:summarize_scan",
    "summary_lines": "multiclass.data.summary:summary_lines",
    "detect_kind": "multiclass.data.load:detect_kind",
    "load_table": "multiclass.data.table:load_table",
    "load_text": "multiclass.data.text:load_text",
    "load_idx": "multiclass.data.idx:load_idx",
    "load_npz": "multiclass.data.npz:load_npz",
    "load_images": "multiclass.data.images:load_images",
    "load_builtin": "multiclass.data.builtin:load_builtin",
    "read_table": "multiclass.data.table:read_table",
    "read_idx": "multiclass.data.idx:read_idx",
    "write_idx": "multiclass.data.idx:write_idx",
    "list_datasets": "multiclass.data.builtin:list_datasets",
    "DatasetInfo": "multiclass.data.builtin:DatasetInfo",
    "BUILTIN_NAMES": "multiclass.data.names:BUILTIN_NAMES",
    "download": "multiclass.data.builtin:download",
    "fit_classes": "multiclass.data.labels:fit_classes",
    "encode_labels": "multiclass.data.labels:encode_labels",
    "decode_labels": "multiclass.data.labels:decode_labels",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)

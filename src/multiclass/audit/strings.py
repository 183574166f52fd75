"""Every word the audit report shows, in English and Spanish (one key set; a test checks both have it).

Sentences are `str.format` templates filled with numbers already formatted by `report.formatting.Formatter`.
Spanish terms as in `multiclass.report.strings`: exactitud (accuracy), puntuación F1, matriz de ruido (noise
matrix), intervalo de confianza (IC).
"""

from __future__ import annotations

from multiclass.report.formatting import check_lang

__all__ = ["AUDIT_STRINGS", "audit_strings"]

_EN = {
    "title": "Label audit",
    "subtitle": "rows whose given label is probably wrong",
    "summary": "Summary",
    "rows": "Rows",
    "n_classes": "Classes",
    "flagged": "Flagged rows",
    "noise_rate": "Estimated share of wrong labels",
    "rule": "Rule",
    "ranked_by": "Ranked by",
    "probabilities": "Probabilities",
    "out_of_fold": "out-of-fold, {folds} folds ({engine} engine, {seconds} s)",
    "given_probs": "given (out-of-sample)",
    "per_class": "Wrong labels per class",
    "class": "Class",
    "estimated_wrong": "Est. wrong",
    "share": "Share",
    "hidden_classes": "… {n} more classes, with fewer wrong labels (the JSON lists every class).",
    "interval": "{confidence} CI",
    "metrics": "Metrics of the out-of-sample predictions",
    "metric": "Metric",
    "all_rows": "All rows",
    "without_suspects": "Without suspects",
    "accuracy": "Accuracy",
    "macro_f1": "Macro-F1",
    "noise_matrix": "Noise matrix",
    "noise_caption": ("P(given label | true label): each column is a true class and sums to 1; off the diagonal, "
                      "the estimated rate at which its rows were given another label."),
    "true_class": "True class",
    "given_class": "Given class",
    "top_pairs": "Most frequent label errors (given ← true)",
    "rate": "Rate",
    "suspects": "Suspects",
    "row": "Row",
    "id": "Id",
    "given": "Given",
    "likely": "Likely",
    "probability": "Probability",
    "score": "Score",
    "example": "Example",
    "self_confidence": "self-confidence",
    "normalized_margin": "normalized margin",
    "shown_note": "The {shown} most likely wrong of {total} suspects; suspects.csv lists every one kept.",
    "capped_note": "At most {top_n} suspects are kept per class; the counts and metrics use all {flagged} flagged.",
    "no_suspects": "No row was flagged.",
    "method": "Method",
    "method_cl": ("Confident learning (Northcutt et al., JAIR 2021), with cleanlab's definitions: per-class "
                  "thresholds are the mean probability of each class over its rows; the calibrated confident "
                  "joint counts rows by given and confidently guessed true class; the rule '{rule}' flags rows."),
    "method_interval": ("Intervals: {confidence} Wilson score interval of the estimated wrong count of a class out "
                        "of its rows; it covers the sampling of the rows, not the uncertainty of the model."),
    "method_metrics": ("Metrics compare each row's most probable class with its given label; 'without suspects' "
                       "leaves every flagged row out."),
}

_ES = {
    "title": "Auditoría de etiquetas",
    "subtitle": "filas cuya etiqueta dada es probablemente errónea",
    "summary": "Resumen",
    "rows": "Filas",
    "n_classes": "Clases",
    "flagged": "Filas señaladas",
    "noise_rate": "Proporción estimada de etiquetas erróneas",
    "rule": "Regla",
    "ranked_by": "Ordenadas por",
    "probabilities": "Probabilidades",
    "out_of_fold": "fuera de pliegue, {folds} pliegues (motor {engine}, {seconds} s)",
    "given_probs": "dadas (fuera de muestra)",
    "per_class": "Etiquetas erróneas por clase",
    "class": "Clase",
    "estimated_wrong": "Erróneas est.",
    "share": "Proporción",
    "hidden_classes": "… {n} clases más, con menos etiquetas erróneas (el JSON lista todas las clases).",
    "interval": "IC {confidence}",
    "metrics": "Métricas de las predicciones fuera de muestra",
    "metric": "Métrica",
    "all_rows": "Todas las filas",
    "without_suspects": "Sin sospechosas",
    "accuracy": "Exactitud",
    "macro_f1": "F1 macro",
    "noise_matrix": "Matriz de ruido",
    "noise_caption": ("P(etiqueta dada | clase real): cada columna es una clase real y suma 1; fuera de la "
                      "diagonal, la tasa estimada a la que sus filas recibieron otra etiqueta."),
    "true_class": "Clase real",
    "given_class": "Clase dada",
    "top_pairs": "Errores de etiqueta más frecuentes (dada ← real)",
    "rate": "Tasa",
    "suspects": "Filas sospechosas",
    "row": "Fila",
    "id": "Identificador",
    "given": "Dada",
    "likely": "Probable",
    "probability": "Probabilidad",
    "score": "Puntuación",
    "example": "Ejemplo",
    "self_confidence": "autoconfianza",
    "normalized_margin": "margen normalizado",
    "shown_note": ("Las {shown} más probablemente erróneas de {total} sospechosas; suspects.csv las lista todas "
                   "las conservadas."),
    "capped_note": ("Se conservan como mucho {top_n} sospechosas por clase; los recuentos y las métricas usan las "
                    "{flagged} señaladas."),
    "no_suspects": "Ninguna fila fue señalada.",
    "method": "Método",
    "method_cl": ("Aprendizaje confiado (Northcutt et al., JAIR 2021), con las definiciones de cleanlab: el umbral "
                  "de cada clase es la probabilidad media de esa clase en sus filas; la matriz conjunta confiada "
                  "calibrada cuenta las filas por clase dada y clase real estimada con confianza; la regla "
                  "'{rule}' señala las filas."),
    "method_interval": ("Intervalos: intervalo de Wilson al {confidence} del número estimado de etiquetas erróneas "
                        "de una clase sobre sus filas; cubre el muestreo de las filas, no la incertidumbre del "
                        "modelo."),
    "method_metrics": ("Las métricas comparan la clase más probable de cada fila con su etiqueta dada; «sin "
                       "sospechosas» deja fuera todas las filas señaladas."),
}

AUDIT_STRINGS = {"en": _EN, "es": _ES}


def audit_strings(lang: str) -> dict[str, str]:
    """The strings of `lang` ("en" or "es"); ConfigError for another language."""
    return AUDIT_STRINGS[check_lang(lang)]

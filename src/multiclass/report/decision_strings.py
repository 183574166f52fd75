"""The words of the report's decision section, in English and Spanish (merged into `strings.STRINGS`).

Spanish terms as in `strings`: exhaustividad (recall), precisión, matriz de costes (cost matrix), escalado de
temperatura (temperature scaling).
"""

from __future__ import annotations

__all__ = ["DECISION_STRINGS"]

_EN = {
    "decision": "Decision policy",
    "rule": "Rule",
    "rule_argmax": "most probable class (argmax)",
    "rule_offsets": "most probable class after per-class offsets tuned to reach recall targets",
    "rule_cost": "minimum expected cost (cost matrix)",
    "temperature": "Temperature",
    "rows_changed": "Rows decided differently from the argmax",
    "tuned_on": "Tuned on",
    "tuned_here": "these rows (validation: optimistic)",
    "tuned_elsewhere": "the validation rows of training (these rows are new to it)",
    "rule_scores": "Scores under each rule",
    "argmax": "Argmax",
    "policy": "Policy",
    "calibration_change": "Calibration before and after temperature scaling",
    "before": "Before (T = 1)",
    "after": "After (T = {t})",
    "cost": "Mean cost per row (cost matrix rows = true class, columns = decided class)",
    "mean_cost": "Mean cost",
    "cost_policy": "Minimum expected cost",
    "cost_argmax": "Argmax",
    "cost_difference": "Difference (policy − argmax)",
    "targets": "Recall targets",
    "target": "Target",
    "reached": "Recall reached",
    "status": "Status",
    "met": "met",
    "missed": "MISSED",
    "no_rows": "no rows",
    "price": "Price of the policy: precision and recall of each class, argmax → policy",
    "price_unchanged": "The policy changes no class's precision or recall on these rows.",
    "notice_target_missed": ("Recall of '{name}' is {recall} on this data, below its target {target}: the offsets "
                             "were tuned on the validation rows and do not carry over exactly to new data."),
    "notice_targets_tuned_here": ("The recall targets were tuned on these validation rows, so meeting them here "
                                  "is optimistic; check them on held-out data with `multiclass evaluate`."),
    "method_decision": ("Decision policy: recall and precision intervals are Wilson score intervals; mean costs "
                        "use a bootstrap of per-row costs stratified by true class (for the difference, of the "
                        "paired per-row differences)."),
}

_ES = {
    "decision": "Política de decisión",
    "rule": "Regla",
    "rule_argmax": "clase más probable (argmax)",
    "rule_offsets": "clase más probable tras desplazamientos por clase ajustados a los objetivos de exhaustividad",
    "rule_cost": "coste esperado mínimo (matriz de costes)",
    "temperature": "Temperatura",
    "rows_changed": "Filas decididas de otro modo que con el argmax",
    "tuned_on": "Ajustada sobre",
    "tuned_here": "estas filas (validación: optimista)",
    "tuned_elsewhere": "las filas de validación del entrenamiento (estas filas son nuevas para ella)",
    "rule_scores": "Métricas con cada regla",
    "argmax": "Más probable",
    "policy": "Política",
    "calibration_change": "Calibración antes y después del escalado de temperatura",
    "before": "Antes (T = 1)",
    "after": "Después (T = {t})",
    "cost": "Coste medio por fila (filas de la matriz de costes = clase real, columnas = clase decidida)",
    "mean_cost": "Coste medio",
    "cost_policy": "Coste esperado mínimo",
    "cost_argmax": "Clase más probable (argmax)",
    "cost_difference": "Diferencia (política − argmax)",
    "targets": "Objetivos de exhaustividad",
    "target": "Objetivo",
    "reached": "Exhaustividad alcanzada",
    "status": "Estado",
    "met": "cumplido",
    "missed": "NO CUMPLIDO",
    "no_rows": "sin filas",
    "price": "Precio de la política: precisión y exhaustividad de cada clase, argmax → política",
    "price_unchanged": "La política no cambia la precisión ni la exhaustividad de ninguna clase en estas filas.",
    "notice_target_missed": ("La exhaustividad de '{name}' es {recall} en estos datos, por debajo de su objetivo "
                             "{target}: los desplazamientos se ajustaron sobre las filas de validación y no se "
                             "trasladan exactamente a datos nuevos."),
    "notice_targets_tuned_here": ("Los objetivos de exhaustividad se ajustaron sobre estas filas de validación, así "
                                  "que cumplirlos aquí es optimista; compruébelos en datos reservados con "
                                  "`multiclass evaluate`."),
    "method_decision": ("Política de decisión: los intervalos de exhaustividad y precisión son intervalos de "
                        "Wilson; los costes medios usan un bootstrap de los costes por fila estratificado por "
                        "clase real (para la diferencia, de las diferencias por fila emparejadas)."),
}

DECISION_STRINGS = {"en": _EN, "es": _ES}

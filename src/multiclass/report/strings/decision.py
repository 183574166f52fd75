"""The words of the decision section and of the `compare` view, English and Spanish side by side.

Spanish: exhaustividad (recall), precisión, matriz de costes (cost matrix), escalado de temperatura (temperature
scaling); "argmax" is kept as the name of the plain rule in both languages, and explained once ("clase más
probable (argmax)").
"""

from __future__ import annotations

__all__ = ["COMPARE", "DECISION"]

DECISION = {
    "decision": ("Decision policy", "Política de decisión"),
    "rule": ("Rule", "Regla"),
    "rule_argmax": ("most probable class (argmax)", "clase más probable (argmax)"),
    "rule_offsets": ("most probable class after per-class offsets tuned to reach recall targets",
                     "clase más probable tras desplazamientos por clase ajustados a los objetivos de "
                     "exhaustividad"),
    "rule_cost": ("minimum expected cost (cost matrix)", "coste esperado mínimo (matriz de costes)"),
    "temperature": ("Temperature", "Temperatura"),
    "rows_changed": ("Rows decided differently from the argmax", "Filas decididas de otro modo que con el argmax"),
    "tuned_on": ("Tuned on", "Ajustada sobre"),
    "tuned_here": ("these rows (validation: optimistic)", "estas filas (validación: optimista)"),
    "tuned_elsewhere": ("the validation rows of training (these rows are new to it)",
                        "las filas de validación del entrenamiento (estas filas son nuevas para ella)"),
    "rule_scores": ("Scores under each rule", "Métricas con cada regla"),
    "argmax": ("Argmax", "Argmax"),
    "policy": ("Policy", "Política"),
    "calibration_change": ("Calibration before and after temperature scaling",
                           "Calibración antes y después del escalado de temperatura"),
    "before": ("Before (T = 1)", "Antes (T = 1)"),
    "after": ("After (T = {t})", "Después (T = {t})"),
    "cost": ("Mean cost per row (cost matrix rows = true class, columns = decided class)",
             "Coste medio por fila (filas de la matriz de costes = clase real, columnas = clase decidida)"),
    "mean_cost": ("Mean cost", "Coste medio"),
    "cost_policy": ("Minimum expected cost", "Coste esperado mínimo"),
    "cost_argmax": ("Argmax", "Argmax"),
    "cost_difference": ("Difference (policy − argmax)", "Diferencia (política − argmax)"),
    "targets": ("Recall targets", "Objetivos de exhaustividad"),
    "target": ("Target", "Objetivo"),
    "reached": ("Recall reached", "Exhaustividad alcanzada"),
    "status": ("Status", "Estado"),
    "met": ("met", "cumplido"),
    "missed": ("MISSED", "NO CUMPLIDO"),
    "no_rows": ("no rows", "sin filas"),
    "price": ("Price of the policy: precision and recall of each class, argmax → policy",
              "Precio de la política: precisión y exhaustividad de cada clase, argmax → política"),
    "price_unchanged": ("The policy changes no class's precision or recall on these rows.",
                        "La política no cambia la precisión ni la exhaustividad de ninguna clase en estas filas."),
    "notice_target_missed": ("Recall of '{name}' is {recall} on this data, below its target {target}: the offsets "
                             "were tuned on the validation rows and do not carry over exactly to new data.",
                             "La exhaustividad de '{name}' es {recall} en estos datos, por debajo de su objetivo "
                             "{target}: los desplazamientos se ajustaron sobre las filas de validación y no se "
                             "trasladan exactamente a datos nuevos."),
    "notice_targets_tuned_here": ("The recall targets were tuned on these validation rows, so meeting them here "
                                  "is optimistic; check them on held-out data with `multiclass evaluate`.",
                                  "Los objetivos de exhaustividad se ajustaron sobre estas filas de validación, así "
                                  "que cumplirlos aquí es optimista; compruébelos en datos reservados con "
                                  "`multiclass evaluate`."),
    "method_decision": ("Decision policy: recall and precision intervals are Wilson score intervals; mean costs "
                        "use a bootstrap of per-row costs stratified by true class (for the difference, of the "
                        "paired per-row differences).",
                        "Política de decisión: los intervalos de exhaustividad y precisión son intervalos de "
                        "Wilson; los costes medios usan un bootstrap de los costes por fila estratificado por "
                        "clase real (para la diferencia, de las diferencias por fila emparejadas)."),
}

COMPARE = {
    "compare_title": ("A = {a}, B = {b} ({n} rows)", "A = {a}, B = {b} ({n} filas)"),
    "compare_difference": ("B - A", "B - A"),
    "compare_share": ("Resamples with B > A", "Remuestreos con B > A"),
    "compare_caption": ("Paired bootstrap of the rows: {n} resamples, seed {seed}. {confidence} interval: the "
                        "range that holds B - A in {confidence} of the resamples.",
                        "Bootstrap emparejado de las filas: {n} remuestreos, semilla {seed}. Intervalo al "
                        "{confidence}: el rango que contiene B - A en el {confidence} de los remuestreos."),
    "mcnemar": ("McNemar: {ab} rows right by A only, {ba} by B only; {test}, p = {p}.",
                "McNemar: {ab} filas acertadas solo por A, {ba} solo por B; {test}, p = {p}."),
    "mcnemar_exact": ("exact binomial test", "prueba binomial exacta"),
    "mcnemar_chi2": ("chi-square {statistic} with continuity correction",
                     "chi cuadrado {statistic} con corrección de continuidad"),
    "verdict_b_better": ("B is better than A", "B es mejor que A"),
    "verdict_a_better": ("A is better than B", "A es mejor que B"),
    "verdict_no_difference": ("no clear difference between A and B", "sin diferencia clara entre A y B"),
}

"""The words of the report's verdict about the classes that matter, and of its missed-rows section, English and
Spanish side by side. Percentages arrive as whole numbers ("6"), counts formatted for the language."""

from __future__ import annotations

__all__ = ["CRITICAL"]

CRITICAL = {
    "notice_critical_hidden": ("'{name}': the model finds {found} of {support} ({recall} %, 95 % CI {low}-{high} %) "
                               "and misses {missed}; accuracy {accuracy} % hides this.",
                               "'{name}': el modelo encuentra {found} de {support} ({recall} %, IC 95 % "
                               "{low}-{high} %) y pierde {missed}; la exactitud del {accuracy} % lo oculta."),
    "notice_critical_found": ("'{name}': the model finds {found} of {support} ({recall} %, 95 % CI {low}-{high} %) "
                              "and misses {missed}.",
                              "'{name}': el modelo encuentra {found} de {support} ({recall} %, IC 95 % "
                              "{low}-{high} %) y pierde {missed}."),
    "notice_critical_what_if": ("To find {found} of {support} '{name}', expect {alarms} alarms per {n} rows (a "
                                "threshold on its probability, on these rows).",
                                "Para encontrar {found} de {support} '{name}', cuente con {alarms} alarmas por cada "
                                "{n} filas (un umbral sobre su probabilidad, en estas filas)."),
    "notice_critical_absent": ("'{name}' has no rows in this data, so how well it is found is unknown.",
                               "'{name}' no tiene filas en estos datos, así que no se sabe cuánto se encuentra."),
    "notice_overall": ("Overall it is right on {accuracy} % of {n} rows.",
                       "En conjunto acierta en el {accuracy} % de {n} filas."),
    "notice_critical_policy_offsets": ("These are the numbers of the model's recall targets: it finds {found} of "
                                       "{support} '{name}' with {alarms} alarms, the plain argmax {found_argmax} "
                                       "with {alarms_argmax}.",
                                       "Estas son las cifras de los objetivos de exhaustividad del modelo: encuentra "
                                       "{found} de {support} '{name}' con {alarms} alarmas, el argmax simple "
                                       "{found_argmax} con {alarms_argmax}."),
    "notice_critical_policy_cost": ("These are the numbers of the model's cost matrix: it finds {found} of "
                                    "{support} '{name}' with {alarms} alarms, the plain argmax {found_argmax} with "
                                    "{alarms_argmax}.",
                                    "Estas son las cifras de la matriz de costes del modelo: encuentra {found} de "
                                    "{support} '{name}' con {alarms} alarmas, el argmax simple {found_argmax} con "
                                    "{alarms_argmax}."),
    "notice_policy_offsets": ("Every score below is under the model's recall targets, not the plain argmax (see "
                              "the decision section).",
                              "Todas las métricas de abajo son con los objetivos de exhaustividad del modelo, no "
                              "con el argmax simple (vea la sección de decisión)."),
    "notice_policy_cost": ("Every score below is under the model's cost matrix, not the plain argmax (see the "
                           "decision section).",
                           "Todas las métricas de abajo son con la matriz de costes del modelo, no con el argmax "
                           "simple (vea la sección de decisión)."),
    "notice_never_predicted": ("{count} classes are never predicted (precision undefined): {names}.",
                               "{count} clases no se predicen nunca (precisión indefinida): {names}."),
    "notice_never_predicted_one": ("{count} class is never predicted (precision undefined): {names}.",
                                   "{count} clase no se predice nunca (precisión indefinida): {names}."),
    "missed_critical": ("Missed critical rows", "Filas críticas perdidas"),
    "missed_caption": ("{shown} of {total} rows of a critical class decided as another class (row numbers from 0).",
                       "{shown} de {total} filas de una clase crítica decididas como otra clase (filas desde 0)."),
    "row_id": ("Row id", "Id de fila"),
    "decided_class": ("Decided", "Decidida"),
    "compare_per_class": ("Recall per class, B - A (critical classes first)",
                          "Exhaustividad por clase, B - A (clases críticas primero)"),
    "found_a": ("Found by A", "Encontradas por A"),
    "found_b": ("Found by B", "Encontradas por B"),
    "critical_mark": ("critical", "crítica"),
    "compare_why_recall": ("{verdict}, by the recall of {what}: B finds {found_b} of {support}, A {found_a} (B - A "
                           "{value}, {confidence} interval {interval}).",
                           "{verdict}, por la exhaustividad de {what}: B encuentra {found_b} de {support}, A "
                           "{found_a} (B - A {value}, intervalo al {confidence} {interval})."),
    "compare_why_metric": ("{verdict}, by {metric}: B - A {value} ({confidence} interval {interval}).",
                           "{verdict}, por {metric}: B - A {value} (intervalo al {confidence} {interval})."),
    "compare_why_cost": ("{verdict}, by the expected cost per row (lower is better): B {cost_b}, A {cost_a} (B - A "
                         "{value}, {confidence} interval {interval}).",
                         "{verdict}, por el coste esperado por fila (menor es mejor): B {cost_b}, A {cost_a} (B - A "
                         "{value}, intervalo al {confidence} {interval})."),
    "compare_cost_row": ("Expected cost per row (lower is better)", "Coste esperado por fila (menor es mejor)"),
    "compare_critical_pooled": ("the critical classes {names}", "las clases críticas {names}"),
    "compare_html_title": ("Comparison of two models", "Comparación de dos modelos"),
}

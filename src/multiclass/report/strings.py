"""Every word the report shows, in English and Spanish (one key set; a test checks both languages have it).

Sentences are `str.format` templates; numbers in them are formatted by `formatting.Formatter` first.
Spanish terms follow the usual ML translations: exactitud (accuracy), precisión, exhaustividad (recall),
puntuación F1, pérdida logarítmica (log-loss), matriz de confusión, soporte (support).
"""

from __future__ import annotations

from multiclass.report.formatting import Formatter, check_lang
from multiclass.report.value import Notice, Report

__all__ = ["STRINGS", "method_lines", "notice_text", "report_title", "strings"]

_EN = {
    "lang_name": "English",
    "report_title": "Evaluation report",
    "title_on": "evaluation on {subject}",
    "title_plain": "evaluation",
    "warnings": "Warnings",
    "notes": "Notes",
    "dataset": "Dataset",
    "rows": "Rows",
    "n_classes": "Classes",
    "imbalance_ratio": "Imbalance ratio (largest / smallest class)",
    "majority_class": "Majority class",
    "smallest_class": "Smallest class",
    "class_distribution": "Class distribution",
    "classes_by_size": "Classes, largest first",
    "headline": "Headline metrics",
    "metric": "Metric",
    "value": "Value",
    "interval": "{confidence} CI",
    "baseline_majority": "Majority baseline",
    "baseline_prior": "Prior baseline",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "macro_f1": "Macro-F1",
    "weighted_f1": "Weighted F1",
    "log_loss": "Log-loss",
    "per_class": "Per-class metrics",
    "class": "Class",
    "precision": "Precision",
    "recall": "Recall",
    "f1": "F1",
    "support": "Support",
    "n_predicted": "Predicted",
    "weakest_note": "Highlighted: the {n} weakest classes (lowest F1).",
    "sorted_note": ("Sorted from the weakest class (lowest F1); {shown} of {total} classes shown (the JSON report "
                    "lists every class)."),
    "hidden_rows": "… {n} classes not shown (the JSON report lists every class)",
    "hidden_short": "… {n} more",
    "confusion": "Confusion matrix",
    "confusion_counts": "Counts (rows = true class, columns = predicted class)",
    "confusion_normalized": "Row-normalised (each row sums to 1: the share of a true class given to each prediction)",
    "most_confused": "Most confused pairs (top {n})",
    "true_class": "True class",
    "predicted_class": "Predicted class",
    "count": "Count",
    "rate": "Share of true class",
    "no_confusions": "No misclassified rows.",
    "calibration": "Calibration",
    "ece_top_label": "Expected calibration error (top label)",
    "ece_classwise": "Expected calibration error (class-wise)",
    "brier": "Brier score",
    "reliability": "Reliability diagram",
    "confidence": "Confidence",
    "observed_accuracy": "Accuracy",
    "perfect_calibration": "Perfect calibration",
    "bin": "Confidence bin",
    "gap": "Gap",
    "training": "Training",
    "learning_curves": "Learning curves",
    "best_epoch": "Best epoch (weights restored)",
    "epoch": "Epoch",
    "epochs_run": "Epochs run",
    "stop_reason": "Stopped by",
    "stop_early_stopping": "early stopping",
    "stop_max_epochs": "the epoch limit",
    "stop_interrupted": "an interruption",
    "train_loss": "Training loss",
    "val_loss": "Validation loss",
    "val_macro_f1": "Validation macro-F1",
    "loss": "Loss",
    "mistakes": "Most confidently wrong examples",
    "row": "Row",
    "probability": "Probability",
    "mistake_caption": "true: {true}\npredicted: {predicted} ({probability})",
    "method": "Method",
    "method_intervals": ("Intervals: {confidence} percentile intervals of a bootstrap stratified by true class ({n} "
                         "resamples, seed {seed}). A precision or recall whose denominator is below {small} rows, "
                         "or which equals 0 or 1, gets the Wilson score interval instead."),
    "method_normal": ("The log-loss interval uses the normal approximation of its bootstrap distribution (more "
                      "than 10^8 rows drawn in all)."),
    "method_streamed": ("The table was read in batches and its rows were not kept: the log-loss interval (and "
                        "the mean-cost intervals of a decision policy) use the normal approximation of the "
                        "stratified bootstrap, with its exact variance."),
    "method_off": "Intervals are off (--bootstrap 0).",
    "method_baselines": ("Majority baseline: always predict the most frequent class. Prior baseline: guess each "
                         "class at its frequency (the scores of the expected confusion matrix); its log-loss is "
                         "the entropy of the class distribution."),
    "method_calibration": ("Calibration errors use {bins} equal-width confidence bins; the Brier score is the mean "
                           "squared distance to the one-hot truth, summed over classes (0 to 2)."),
    "generated_by": "Generated by multiclass {version}.",
    "written_json": "evaluation written to {path}",
    "written_html": "HTML report written to {path}",
    "notice_near_baseline": ("Accuracy {accuracy} is close to the majority-class baseline {baseline} (always "
                             "predicting '{majority}'): look at balanced accuracy and per-class recall."),
    "notice_small_classes": ("{count} classes have fewer than {threshold} examples, so their scores are "
                             "uncertain: {names}."),
    "notice_absent_classes": "{count} classes have no examples in this data: {names}.",
    "notice_no_probabilities": ("No class probabilities were given, so log-loss and calibration are not "
                                "reported."),
}

_ES = {
    "lang_name": "Español",
    "report_title": "Informe de evaluación",
    "title_on": "evaluación sobre {subject}",
    "title_plain": "evaluación",
    "warnings": "Avisos",
    "notes": "Notas",
    "dataset": "Conjunto de datos",
    "rows": "Filas",
    "n_classes": "Clases",
    "imbalance_ratio": "Razón de desbalance (clase mayor / menor)",
    "majority_class": "Clase mayoritaria",
    "smallest_class": "Clase minoritaria",
    "class_distribution": "Distribución de clases",
    "classes_by_size": "Clases, de mayor a menor",
    "headline": "Métricas principales",
    "metric": "Métrica",
    "value": "Valor",
    "interval": "IC {confidence}",
    "baseline_majority": "Referencia: clase mayoritaria",
    "baseline_prior": "Referencia: azar según frecuencias",
    "accuracy": "Exactitud",
    "balanced_accuracy": "Exactitud equilibrada",
    "macro_f1": "Puntuación F1 macro",
    "weighted_f1": "Puntuación F1 ponderada",
    "log_loss": "Pérdida logarítmica",
    "per_class": "Métricas por clase",
    "class": "Clase",
    "precision": "Precisión",
    "recall": "Exhaustividad",
    "f1": "Puntuación F1",
    "support": "Soporte",
    "n_predicted": "Predichas",
    "weakest_note": "Resaltadas: las {n} clases más débiles (F1 más bajo).",
    "sorted_note": ("Ordenadas desde la clase más débil (F1 más bajo); se muestran {shown} de {total} clases (el "
                    "informe JSON las incluye todas)."),
    "hidden_rows": "… {n} clases no mostradas (el informe JSON incluye todas las clases)",
    "hidden_short": "… {n} más",
    "confusion": "Matriz de confusión",
    "confusion_counts": "Recuentos (filas = clase real, columnas = clase predicha)",
    "confusion_normalized": ("Normalizada por filas (cada fila suma 1: la parte de una clase real asignada a cada "
                             "predicción)"),
    "most_confused": "Pares más confundidos (los {n} primeros)",
    "true_class": "Clase real",
    "predicted_class": "Clase predicha",
    "count": "Recuento",
    "rate": "Parte de la clase real",
    "no_confusions": "Ninguna fila mal clasificada.",
    "calibration": "Calibración",
    "ece_top_label": "Error de calibración esperado (clase predicha)",
    "ece_classwise": "Error de calibración esperado (por clase)",
    "brier": "Puntuación de Brier",
    "reliability": "Diagrama de fiabilidad",
    "confidence": "Confianza",
    "observed_accuracy": "Exactitud",
    "perfect_calibration": "Calibración perfecta",
    "bin": "Tramo de confianza",
    "gap": "Diferencia",
    "training": "Entrenamiento",
    "learning_curves": "Curvas de aprendizaje",
    "best_epoch": "Mejor época (pesos restaurados)",
    "epoch": "Época",
    "epochs_run": "Épocas ejecutadas",
    "stop_reason": "Motivo de parada",
    "stop_early_stopping": "parada temprana",
    "stop_max_epochs": "límite de épocas",
    "stop_interrupted": "interrupción",
    "train_loss": "Pérdida de entrenamiento",
    "val_loss": "Pérdida de validación",
    "val_macro_f1": "F1 macro de validación",
    "loss": "Pérdida",
    "mistakes": "Errores cometidos con mayor confianza",
    "row": "Fila",
    "probability": "Probabilidad",
    "mistake_caption": "real: {true}\npredicha: {predicted} ({probability})",
    "method": "Método",
    "method_intervals": ("Intervalos: intervalos de percentiles al {confidence} de un bootstrap estratificado por "
                         "clase real ({n} remuestreos, semilla {seed}). Una precisión o exhaustividad cuyo "
                         "denominador tiene menos de {small} filas, o que vale 0 o 1, usa el intervalo de "
                         "Wilson."),
    "method_normal": ("El intervalo de la pérdida logarítmica usa la aproximación normal de su distribución "
                      "bootstrap (más de 10^8 filas remuestreadas en total)."),
    "method_streamed": ("La tabla se leyó por lotes sin conservar sus filas: el intervalo de la pérdida "
                        "logarítmica (y los de los costes medios de una política de decisión) usan la aproximación "
                        "normal del bootstrap estratificado, con su varianza exacta."),
    "method_off": "Intervalos desactivados (--bootstrap 0).",
    "method_baselines": ("Referencia de clase mayoritaria: predecir siempre la clase más frecuente. Referencia de "
                         "azar: elegir cada clase según su frecuencia (las métricas de la matriz de confusión "
                         "esperada); su pérdida logarítmica es la entropía de la distribución de clases."),
    "method_calibration": ("Los errores de calibración usan {bins} intervalos de confianza de igual anchura; la "
                           "puntuación de Brier es la distancia cuadrática media a la verdad one-hot, sumada sobre "
                           "las clases (de 0 a 2)."),
    "generated_by": "Generado por multiclass {version}.",
    "written_json": "evaluación escrita en {path}",
    "written_html": "informe HTML escrito en {path}",
    "notice_near_baseline": ("La exactitud {accuracy} está cerca de la referencia de la clase mayoritaria "
                             "{baseline} (predecir siempre '{majority}'): revise la exactitud equilibrada y la "
                             "exhaustividad por clase."),
    "notice_small_classes": ("{count} clases tienen menos de {threshold} ejemplos, así que sus métricas son "
                             "inciertas: {names}."),
    "notice_absent_classes": "{count} clases no tienen ejemplos en estos datos: {names}.",
    "notice_no_probabilities": ("No se dieron probabilidades por clase, así que no se informan la pérdida "
                                "logarítmica ni la calibración."),
}

# The decision section's words (Spanish: exhaustividad (recall), precisión, matriz de costes (cost matrix),
# escalado de temperatura (temperature scaling)).
_DECISION_EN = {
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

_DECISION_ES = {
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

STRINGS = {"en": {**_EN, **_DECISION_EN}, "es": {**_ES, **_DECISION_ES}}


def strings(lang: str) -> dict[str, str]:
    """The strings of `lang` ("en" or "es"); ConfigError otherwise."""
    return STRINGS[check_lang(lang)]


def report_title(report: Report, lang: str) -> str:
    """"evaluation on <subject>" in `lang` (just "evaluation" without a subject)."""
    s = strings(lang)
    return s["title_on"].format(subject=report.subject) if report.subject else s["title_plain"]


def notice_text(notice: Notice, lang: str) -> str:
    """The sentence of a `Notice` in `lang`, its numbers formatted for the language."""
    fmt = Formatter(lang)
    params = {name: fmt.number(value) for name, value in notice.params.items()}
    return strings(lang)[f"notice_{notice.code}"].format(**params)


def method_lines(report: Report, lang: str) -> list[str]:
    """The method notes shown under every rendering."""
    s, fmt, config = strings(lang), Formatter(lang), report.config
    lines = []
    if config.bootstrap:
        lines.append(s["method_intervals"].format(confidence=fmt.percent(config.confidence, 0),
                                                  n=fmt.integer(config.bootstrap), seed=config.seed,
                                                  small=config.small_count))
        log_loss = report.headline.get("log_loss")
        if report.source.get("read") == "streamed":
            lines.append(s["method_streamed"])
        elif log_loss is not None and log_loss.method == "normal":
            lines.append(s["method_normal"])
    else:
        lines.append(s["method_off"])
    lines.append(s["method_baselines"])
    if report.calibration is not None:
        lines.append(s["method_calibration"].format(bins=config.n_bins))
    if report.decision is not None:
        lines.append(s["method_decision"])
    return lines

"""The report's words, English and Spanish side by side: ``key: (English, Spanish)``.

Sentences are `str.format` templates (both languages take the same fields). A key ending in ``_one`` is the
singular of the key without it (`strings.plural` picks it when the count is 1). Spanish terms follow the usual
ML translations: exactitud (accuracy), precisión, exhaustividad (recall), puntuación F1, pérdida logarítmica
(log-loss), matriz de confusión, soporte (support), tramo (bin: "intervalo" is kept for confidence intervals).
"""

from __future__ import annotations

__all__ = ["REPORT"]

REPORT = {
    "lang_name": ("English", "Español"),
    "report_title": ("Evaluation report", "Informe de evaluación"),
    "title_on": ("evaluation on {subject}", "evaluación sobre {subject}"),
    "title_plain": ("evaluation", "evaluación"),
    "verdict": ("Verdict", "Veredicto"),
    "warnings": ("Warnings", "Avisos"),
    "notes": ("Notes", "Notas"),
    "source_model": ("Model", "Modelo"),
    "source_data": ("Data", "Datos"),
    "source_predictions": ("Predictions", "Predicciones"),
    "source_read": ("Read", "Lectura"),
    "read_streamed": ("in batches (the rows were not kept)", "por lotes (sin conservar las filas)"),
    "dataset": ("Dataset", "Conjunto de datos"),
    "rows": ("Rows", "Filas"),
    "n_classes": ("Classes", "Clases"),
    "imbalance_ratio": ("Imbalance ratio (largest / smallest class)", "Razón de desbalance (clase mayor / menor)"),
    "majority_class": ("Majority class", "Clase mayoritaria"),
    "smallest_class": ("Smallest class", "Clase minoritaria"),
    "class_distribution": ("Class distribution", "Distribución de clases"),
    "classes_by_size": ("Classes, largest first", "Clases, de mayor a menor"),
    "headline": ("Headline metrics", "Métricas principales"),
    "metric": ("Metric", "Métrica"),
    "value": ("Value", "Valor"),
    "interval": ("{confidence} interval", "Intervalo al {confidence}"),
    "interval_short": ("{confidence} int.", "Int. {confidence}"),
    "interval_note": ("{confidence} interval: the range that holds the score in {confidence} of resamples of these "
                      "rows (bootstrap); \"no spread\": every resample gave the same value.",
                      "Intervalo al {confidence}: el rango que contiene la métrica en el {confidence} de los "
                      "remuestreos de estas filas (bootstrap); «sin variación»: todos los remuestreos dieron el "
                      "mismo valor."),
    "no_spread": ("no spread", "sin variación"),
    "interval_bootstrap": ("percentile bootstrap interval", "intervalo bootstrap de percentiles"),
    "interval_wilson": ("Wilson score interval", "intervalo de Wilson"),
    "interval_normal": ("normal approximation of the bootstrap", "aproximación normal del bootstrap"),
    "baseline_majority": ("Majority baseline", "Referencia: clase mayoritaria"),
    "baseline_prior": ("Prior baseline", "Referencia: azar según frecuencias"),
    "accuracy": ("Accuracy", "Exactitud"),
    "balanced_accuracy": ("Balanced accuracy", "Exactitud equilibrada"),
    "macro_f1": ("Macro-F1", "Puntuación F1 macro"),
    "weighted_f1": ("Weighted F1", "Puntuación F1 ponderada"),
    "log_loss": ("Log-loss", "Pérdida logarítmica"),
    "per_class": ("Per-class metrics", "Métricas por clase"),
    "class": ("Class", "Clase"),
    "precision": ("Precision", "Precisión"),
    "recall": ("Recall", "Exhaustividad"),
    "f1": ("F1", "Puntuación F1"),
    "support": ("Support", "Soporte"),
    "n_predicted": ("Predicted", "Predichas"),
    "weakest_note": ("Highlighted: the {n} weakest classes (lowest F1).",
                     "Resaltadas: las {n} clases más débiles (F1 más bajo)."),
    "weakest_note_one": ("Highlighted: the weakest class (lowest F1).",
                         "Resaltada: la clase más débil (F1 más bajo)."),
    "sorted_note": ("Sorted from the weakest class (lowest F1); {shown} of {total} classes shown (the JSON report "
                    "lists every class).",
                    "Ordenadas desde la clase más débil (F1 más bajo); se muestran {shown} de {total} clases (el "
                    "informe JSON las incluye todas)."),
    "hidden_rows": ("… {n} classes not shown (the JSON report lists every class)",
                    "… {n} clases no mostradas (el informe JSON incluye todas las clases)"),
    "hidden_rows_one": ("… 1 class not shown (the JSON report lists every class)",
                        "… 1 clase no mostrada (el informe JSON incluye todas las clases)"),
    "hidden_short": ("… {n} more", "… {n} más"),
    "confusion": ("Confusion matrix", "Matriz de confusión"),
    "confusion_counts": ("Counts (rows = true class, columns = predicted class)",
                         "Recuentos (filas = clase real, columnas = clase predicha)"),
    "confusion_normalized": ("Row-normalised (each row sums to 1: the share of a true class given to each "
                             "prediction)",
                             "Normalizada por filas (cada fila suma 1: la parte de una clase real asignada a cada "
                             "predicción)"),
    "overview": ("The whole matrix at a glance", "Toda la matriz de un vistazo"),
    "overview_caption": ("Share of each true class (row) given to each other class (column); the diagonal is left "
                         "white. Classes are ordered so that classes confused with each other sit together.",
                         "Parte de cada clase real (fila) asignada a cada otra clase (columna); la diagonal queda "
                         "en blanco. Las clases se ordenan de modo que las que se confunden entre sí queden juntas."),
    "overview_blocks": ("Each cell is a block of {size} consecutive classes of that order.",
                        "Cada celda es un bloque de {size} clases consecutivas en ese orden."),
    "share_elsewhere": ("Share given to other classes", "Parte asignada a otras clases"),
    "position": ("Position", "Posición"),
    "most_confused_with": ("Most confused with", "Más confundida con"),
    "most_confused": ("Most confused pairs (top {n})", "Pares más confundidos (los {n} primeros)"),
    "true_class": ("True class", "Clase real"),
    "predicted_class": ("Predicted class", "Clase predicha"),
    "count": ("Count", "Recuento"),
    "rate": ("Share of true class", "Parte de la clase real"),
    "no_confusions": ("No misclassified rows.", "Ninguna fila mal clasificada."),
    "data_table": ("Data table", "Tabla de datos"),
    "data_rows_cut": ("First {shown} of {total} rows (the JSON report has them all).",
                      "Primeras {shown} de {total} filas (el informe JSON las tiene todas)."),
    "calibration": ("Calibration", "Calibración"),
    "ece_top_label": ("Expected calibration error (top label)", "Error de calibración esperado (clase predicha)"),
    "ece_classwise": ("Expected calibration error (class-wise)", "Error de calibración esperado (por clase)"),
    "brier": ("Brier score", "Puntuación de Brier"),
    "reliability": ("Reliability diagram", "Diagrama de fiabilidad"),
    "reliability_caption": ("Bars: accuracy of the rows in each confidence bin, darker for bins with more rows; "
                            "ticks: their mean confidence. A calibrated model's bars reach the diagonal.",
                            "Barras: exactitud de las filas de cada tramo de confianza, más oscuras cuantas más "
                            "filas tiene el tramo; marcas: su confianza media. En un modelo calibrado las barras "
                            "llegan a la diagonal."),
    "confidence": ("Confidence", "Confianza"),
    "mean_confidence": ("Mean confidence", "Confianza media"),
    "observed_accuracy": ("Accuracy", "Exactitud"),
    "accuracy_by_rows": ("Accuracy (darker: more rows)", "Exactitud (más oscuro: más filas)"),
    "perfect_calibration": ("Perfect calibration", "Calibración perfecta"),
    "bin": ("Confidence bin", "Tramo de confianza"),
    "gap": ("Gap (accuracy − confidence)", "Diferencia (exactitud − confianza)"),
    "training": ("Training", "Entrenamiento"),
    "learning_curves": ("Learning curves", "Curvas de aprendizaje"),
    "best_epoch": ("Best epoch (weights restored)", "Mejor época (pesos restaurados)"),
    "last_epoch": ("Epoch of the weights (the last: no early stopping)",
                   "Época de los pesos (la última: sin parada temprana)"),
    "best_epoch_short": ("best epoch", "mejor época"),
    "epoch": ("Epoch", "Época"),
    "epochs_run": ("Epochs run", "Épocas ejecutadas"),
    "recipe": ("Recipe", "Receta"),
    "recipe_chosen": ("{name}: hidden {hidden}, dropout {dropout}, L2 {l2}, lr {lr}, batch {batch}",
                      "{name}: capas ocultas {hidden}, dropout {dropout}, L2 {l2}, lr {lr}, lote {batch}"),
    "recipe_chosen_lbfgs": ("{name}: hidden {hidden}, L2 {l2}, fitted to convergence by L-BFGS",
                            "{name}: capas ocultas {hidden}, L2 {l2}, ajustada hasta converger con L-BFGS"),
    "recipe_fixed_epochs": (", {epochs} epochs with no early stopping", ", {epochs} épocas sin parada temprana"),
    "recipe_no_hidden": ("none (softmax regression)", "ninguna (regresión softmax)"),
    "recipe_searched": (" (the best of {n} candidates on the validation rows)",
                        " (la mejor de {n} candidatas en las filas de validación)"),
    "stop_reason": ("Stopped by", "Motivo de parada"),
    "stop_early_stopping": ("early stopping", "parada temprana"),
    "stop_max_epochs": ("the epoch limit", "límite de épocas"),
    "stop_interrupted": ("an interruption", "interrupción"),
    "stop_fold_average": ("early stopping of each fold model (the curve: fold 1's)",
                          "parada temprana de cada modelo de las partes (la curva: la de la parte 1)"),
    "stop_fold_fixed": ("a fixed number of epochs for each fold model (the curve: fold 1's)",
                        "un número fijo de épocas para cada modelo de las partes (la curva: la de la parte 1)"),
    "stop_fold_converged": ("convergence of L-BFGS for each fold model",
                            "convergencia de L-BFGS en cada modelo de las partes"),
    "recipe_folds": (" (the best of {n} candidates by {folds}-fold cross-validation; the average of its {folds} fold "
                     "models)",
                     " (la mejor de {n} candidatas por validación cruzada en {folds} partes; el promedio de sus "
                     "{folds} modelos)"),
    "train_loss": ("Training loss", "Pérdida de entrenamiento"),
    "val_loss": ("Validation loss", "Pérdida de validación"),
    "val_macro_f1": ("Validation macro-F1", "F1 macro de validación"),
    "loss": ("Loss", "Pérdida"),
    "mistakes": ("Most confidently wrong examples", "Errores cometidos con mayor confianza"),
    "row": ("Row", "Fila"),
    "probability": ("Probability", "Probabilidad"),
    "mistake_caption": ("true: {true}, predicted: {predicted} ({probability})",
                        "real: {true}, predicha: {predicted} ({probability})"),
    "details_hint": ("More with --details: the dataset, every confusion matrix, the reliability bins, the learning "
                     "curve and the method.",
                     "Más con --details: el conjunto de datos, todas las matrices de confusión, los tramos de "
                     "fiabilidad, la curva de aprendizaje y el método."),
    "method": ("Method", "Método"),
    "method_intervals": ("Intervals: {confidence} percentile intervals of a bootstrap stratified by true class ({n} "
                         "resamples, seed {seed}). A precision or recall whose denominator is below {small} rows, "
                         "or which equals 0 or 1, gets the Wilson score interval instead.",
                         "Intervalos: intervalos de percentiles al {confidence} de un bootstrap estratificado por "
                         "clase real ({n} remuestreos, semilla {seed}). Una precisión o exhaustividad cuyo "
                         "denominador tiene menos de {small} filas, o que vale 0 o 1, usa el intervalo de Wilson."),
    "method_normal": ("The log-loss interval uses the normal approximation of its bootstrap distribution (more "
                      "than 10^8 rows drawn in all).",
                      "El intervalo de la pérdida logarítmica usa la aproximación normal de su distribución "
                      "bootstrap (más de 10^8 filas remuestreadas en total)."),
    "method_streamed": ("The table was read in batches and its rows were not kept: the log-loss interval (and "
                        "the mean-cost intervals of a decision policy) use the normal approximation of the "
                        "stratified bootstrap, with its exact variance.",
                        "La tabla se leyó por lotes sin conservar sus filas: el intervalo de la pérdida "
                        "logarítmica (y los de los costes medios de una política de decisión) usan la aproximación "
                        "normal del bootstrap estratificado, con su varianza exacta."),
    "method_off": ("Intervals are off (--bootstrap 0).", "Intervalos desactivados (--bootstrap 0)."),
    "method_baselines": ("Majority baseline: always predict the most frequent class. Prior baseline: guess each "
                         "class at its frequency (the scores of the expected confusion matrix); its log-loss is "
                         "the entropy of the class distribution.",
                         "Referencia de clase mayoritaria: predecir siempre la clase más frecuente. Referencia de "
                         "azar: elegir cada clase según su frecuencia (las métricas de la matriz de confusión "
                         "esperada); su pérdida logarítmica es la entropía de la distribución de clases."),
    "method_calibration": ("Calibration errors use {bins} equal-width confidence bins; the Brier score is the mean "
                           "squared distance to the one-hot truth, summed over classes (0 to 2).",
                           "Los errores de calibración usan {bins} tramos de confianza de igual anchura; la "
                           "puntuación de Brier es la distancia cuadrática media a la verdad one-hot, sumada sobre "
                           "las clases (de 0 a 2)."),
    "method_numbers": ("Numbers: scores and shares with 3 decimals; losses, calibration errors, costs and "
                       "temperatures with 3 significant digits.",
                       "Números: métricas y proporciones con 3 decimales; pérdidas, errores de calibración, costes "
                       "y temperaturas con 3 cifras significativas."),
    "generated_by": ("Generated by multiclass {version}.", "Generado por multiclass {version}."),
    "written_json": ("evaluation written to {path}", "evaluación escrita en {path}"),
    "written_html": ("HTML report written to {path}", "informe HTML escrito en {path}"),
    "notice_near_baseline": ("Accuracy {accuracy} is close to the majority-class baseline {baseline} (always "
                             "predicting '{majority}'): look at balanced accuracy and per-class recall.",
                             "La exactitud {accuracy} está cerca de la referencia de la clase mayoritaria "
                             "{baseline} (predecir siempre '{majority}'): revise la exactitud equilibrada y la "
                             "exhaustividad por clase."),
    "notice_small_classes": ("{count} classes have fewer than {threshold} examples, so their scores are "
                             "uncertain: {names}.",
                             "{count} clases tienen menos de {threshold} ejemplos, así que sus métricas son "
                             "inciertas: {names}."),
    "notice_small_classes_one": ("{count} class has fewer than {threshold} examples, so its scores are "
                                 "uncertain: {names}.",
                                 "{count} clase tiene menos de {threshold} ejemplos, así que sus métricas son "
                                 "inciertas: {names}."),
    "notice_absent_classes": ("{count} classes have no examples in this data: {names}.",
                              "{count} clases no tienen ejemplos en estos datos: {names}."),
    "notice_absent_classes_one": ("{count} class has no examples in this data: {names}.",
                                  "{count} clase no tiene ejemplos en estos datos: {names}."),
    "notice_no_probabilities": ("No class probabilities were given, so log-loss and calibration are not "
                                "reported.",
                                "No se dieron probabilidades por clase, así que no se informan la pérdida "
                                "logarítmica ni la calibración."),
}

"""What the command line says besides the report, English and Spanish side by side: ``key: (English, Spanish)``.

The report's own words are in `multiclass.report.strings`, the library's error messages in
`multiclass.cli.errors`; tests/test_cli_messages.py checks that every key has both languages, with the same fields.
A key ending in ``_one`` is the singular of the key without it (`say` picks it for a count of 1). Imports only the
standard library: the parser uses it for its usage errors.
"""

from __future__ import annotations

from multiclass.language import LANGS

__all__ = ["MESSAGES", "say"]

MESSAGES = {
    # train and demo
    "read_rows": ("{rows} rows read: {features} features, {classes} classes",
                  "{rows} filas leídas: {features} variables, {classes} clases"),
    "streamed_rows": ("{rows} rows streamed: {features} features, {classes} classes",
                      "{rows} filas leídas por lotes: {features} variables, {classes} clases"),
    "on_ranks": (" on {ranks} ranks", " en {ranks} procesos"),
    "stopped_early": ("training stopped early after epoch {epoch} of {epochs}: {monitor} had not improved for "
                      "{patience} epochs; the weights of epoch {best} were restored{value}.",
                      "el entrenamiento se detuvo antes de tiempo tras la época {epoch} de {epochs}: {monitor} no "
                      "mejoraba desde hacía {patience} épocas; se restauraron los pesos de la época {best}{value}."),
    "stopped_converged": ("training stopped after epoch {epoch} of {epochs}: {monitor} had fallen by less than "
                          "{tolerance} in {patience} epochs (converged); the weights of epoch {best} were "
                          "restored{value}.",
                          "el entrenamiento se detuvo tras la época {epoch} de {epochs}: {monitor} había bajado "
                          "menos de {tolerance} en {patience} épocas (convergió); se restauraron los pesos de la "
                          "época {best}{value}."),
    "ran_all_epochs": ("training ran all {epochs} epochs; the weights of epoch {best} were restored{value}.",
                       "el entrenamiento completó las {epochs} épocas; se restauraron los pesos de la época "
                       "{best}{value}."),
    "ran_all_epochs_one": ("training ran its 1 epoch{value}.", "el entrenamiento completó su única época{value}."),
    "stopped_interrupted": ("training interrupted after epoch {epoch} of {epochs}; the weights of epoch {best} were "
                            "kept{value}.",
                            "entrenamiento interrumpido tras la época {epoch} de {epochs}; se conservaron los pesos "
                            "de la época {best}{value}."),
    "best_value": (" (the best {monitor}: {value})", " (el mejor {monitor}: {value})"),
    # the monitor of --critical (val_critical:<classes>) in words, for the lines above
    "critical_monitor": ("the mean recall of {classes}, each at precision >= {floor}",
                         "la exhaustividad media de {classes}, cada una con precisión >= {floor}"),
    "critical_monitor_one": ("the recall of {classes} at precision >= {floor}",
                             "la exhaustividad de {classes} con precisión >= {floor}"),
    "best_critical": (" (best recall of the critical classes: {value})",
                      " (mejor exhaustividad de las clases críticas: {value})"),
    "critical_below_floor": (" (no epoch reached precision {floor} on {classes}: the one with their best F1 was kept)",
                             " (ninguna época alcanzó precisión {floor} en {classes}: se conservó la de mejor F1 en "
                             "ellas)"),
    "validation_title": ("validation ({rows} rows)", "validación ({rows} filas)"),
    # train --coverage: what the prediction sets were calibrated for (summary.sets_line)
    "sets_line": ("prediction sets: {coverage} coverage, score {score}, {groups}, calibrated on {rows} rows "
                  "({method}); predict --sets writes them",
                  "conjuntos de predicción: cobertura del {coverage}, puntuación {score}, {groups}, calibrados con "
                  "{rows} filas ({method}); predict --sets los escribe"),
    "sets_marginal": ("one threshold for every class", "un umbral para todas las clases"),
    "sets_per_class": ("a threshold per class", "un umbral por clase"),
    "sets_critical": ("a threshold for {names} and one for the other classes",
                      "un umbral para {names} y uno para las demás clases"),
    "sets_split": ("held-out validation rows", "filas de validación apartadas"),
    "sets_cross": ("out-of-fold, {folds} folds", "fuera de pliegue, {folds} pliegues"),
    "interrupted_written": ("interrupted after epoch {epoch}: the best model so far (epoch {best}) was written to "
                            "{path}; continue with --resume {path}",
                            "interrumpido tras la época {epoch}: el mejor modelo hasta ahora (época {best}) se "
                            "escribió en {path}; continúe con --resume {path}"),
    "model_written": ("model written to {path}", "modelo escrito en {path}"),
    "demo_intro": ("{dataset}: {rows} training rows, {features} features, {classes} classes",
                   "{dataset}: {rows} filas de entrenamiento, {features} variables, {classes} clases"),
    "recipe_line_lbfgs": ("network {widths}, l2 {l2}, fitted to convergence by L-BFGS",
                          "red {widths}, l2 {l2}, ajustada hasta converger con L-BFGS"),
    "recipe_line": ("network {widths}, dropout {dropout}, l2 {l2}, lr {lr}, batch {batch}",
                    "red {widths}, dropout {dropout}, l2 {l2}, lr {lr}, lote {batch}"),
    "fixed_epochs_line": ("{line}, {epochs} epochs with no early stopping",
                          "{line}, {epochs} épocas sin parada temprana"),
    "balanced_weights": ("{line}, classes weighted balanced", "{line}, clases ponderadas balanced"),
    "sqrt_weights": ("{line}, classes weighted by the square root of balanced",
                     "{line}, clases ponderadas por la raíz de balanced"),
    "recipe_searched": ("{line} (recipe {name}: the best of {tried} candidates on the validation rows)",
                        "{line} (receta {name}: la mejor de {tried} candidatas en las filas de validación)"),
    "recipe_searched_folds": ("{line} (recipe {name}: the best of {tried} candidates by {folds}-fold "
                              "cross-validation)",
                              "{line} (receta {name}: la mejor de {tried} candidatas por validación cruzada en "
                              "{folds} partes)"),
    "fold_widths": ("{widths} x {folds} fold models averaged", "{widths} x {folds} modelos de las partes promediados"),
    "fold_average": ("{folds} fold models, each early-stopped on its own fold (best epochs {epochs}), averaged into "
                     "one network; the learning curve shown is fold 1's.",
                     "{folds} modelos, uno por parte, cada uno detenido a tiempo en su propia parte (mejores épocas "
                     "{epochs}), promediados en una sola red; la curva de aprendizaje mostrada es la de la parte 1."),
    "fold_fixed": ("{folds} fold models, each trained for {epochs} epochs with no early stopping (as scikit-learn's "
                   "MLPClassifier trains: the folds scored it best), averaged into one network; the learning curve "
                   "shown is fold 1's.",
                   "{folds} modelos, uno por parte, cada uno entrenado {epochs} épocas sin parada temprana (como "
                   "entrena MLPClassifier de scikit-learn: las partes lo puntuaron mejor), promediados en una sola "
                   "red; la curva de aprendizaje mostrada es la de la parte 1."),
    "fold_converged": ("{folds} fold models, each a softmax regression fitted to convergence by L-BFGS (as "
                       "scikit-learn's LogisticRegression is: the folds scored it best), averaged into one.",
                       "{folds} modelos, uno por parte, cada uno una regresión softmax ajustada hasta converger con "
                       "L-BFGS (como LogisticRegression de scikit-learn: las partes la puntuaron mejor), promediados "
                       "en uno solo."),
    "recipe_named": ("{line} (recipe {name})", "{line} (receta {name})"),
    "test_split": ("test split of {dataset}", "partición de prueba de {dataset}"),
    "demo_result": ("test accuracy {accuracy} (macro-F1 {macro_f1}, {rows} rows)",
                    "exactitud en la prueba {accuracy} (F1 macro {macro_f1}, {rows} filas)"),
    "suspects_dropped": ("{dropped} suspects listed in {audit} left out of training",
                         "{dropped} filas sospechosas de {audit} excluidas del entrenamiento"),
    "suspects_dropped_critical": ("{dropped} suspects listed in {audit} left out of training; {kept_critical} of "
                                  "--target-recall classes kept",
                                  "{dropped} filas sospechosas de {audit} excluidas del entrenamiento; se conservan "
                                  "{kept_critical} de clases de --target-recall"),
    # audit
    "audit_written": ("{count} rows flagged; {files} written to {path}",
                      "{count} filas señaladas; {files} escritos en {path}"),
    "audit_written_one": ("{count} row flagged; {files} written to {path}",
                          "{count} fila señalada; {files} escritos en {path}"),
    # predict, compare, sweep
    "predictions_written": ("{rows} predictions written to {path}", "{rows} predicciones escritas en {path}"),
    "predictions_written_one": ("{rows} prediction written to {path}", "{rows} predicción escrita en {path}"),
    "labels_kept": ("the true labels (column {column!r}) are in column y_true: `multiclass report --predictions "
                    "{path}` reads the file as it is",
                    "las etiquetas reales (columna {column!r}) están en la columna y_true: `multiclass report "
                    "--predictions {path}` lee el archivo tal cual"),
    "labels_not_kept": ("the data has the label column {column!r}: add --keep-columns {column} to write it as "
                        "y_true, so that `multiclass report --predictions` can read the file",
                        "los datos tienen la columna de etiquetas {column!r}: añada --keep-columns {column} para "
                        "escribirla como y_true y que `multiclass report --predictions` pueda leer el archivo"),
    "onnx_written": ("ONNX graph written to {path} ({size} bytes)", "grafo ONNX escrito en {path} ({size} bytes)"),
    "onnx_written_int8": ("ONNX graph written to {path} ({size} bytes, int8 weights)",
                          "grafo ONNX escrito en {path} ({size} bytes, pesos int8)"),
    "serving": ("serving {path} on http://{host}:{port} (Ctrl-C stops; docs/serving.md)",
                "sirviendo {path} en http://{host}:{port} (Ctrl-C lo detiene; docs/serving.md)"),
    "comparison_written": ("comparison written to {path}", "comparación escrita en {path}"),
    "sweep_best": ("best: {trial} (validation macro-F1 {macro_f1} at epoch {epoch}); {n} configurations trained in "
                   "{seconds} s",
                   "mejor: {trial} (F1 macro de validación {macro_f1} en la época {epoch}); {n} configuraciones "
                   "entrenadas en {seconds} s"),
    "leaderboard_written": ("leaderboard written to {path}", "clasificación escrita en {path}"),
    "best_model_written": ("best model written to {path}", "mejor modelo escrito en {path}"),
    "download_checked": ("{name}: IDX files checked against the published MD5 in {folder}",
                         "{name}: archivos IDX comprobados con los MD5 publicados en {folder}"),
    # the tool itself
    "error": ("error: {message}", "error: {message}"),
    "warning": ("warning: {message}", "aviso: {message}"),
    "usage_hint": ("(run '{prog} --help' for the options and examples)",
                   "(ejecute '{prog} --help' para ver las opciones y ejemplos)"),
    "interrupted": ("interrupted", "interrumpido"),
    "internal_error": ("internal error: {kind}: {message} (set MULTICLASS_DEBUG=1 for the traceback)",
                       "error interno: {kind}: {message} (defina MULTICLASS_DEBUG=1 para ver la traza)"),
}


def say(key: str, lang: str = "en", /, **fields) -> str:
    """The message `key` in `lang`, filled with `fields` (the singular form when ``count`` or ``rows`` is 1)."""
    index = LANGS.index(lang) if lang in LANGS else 0
    count = fields.get("count", fields.get("rows"))
    singular = f"{key}_one"
    texts = MESSAGES[singular] if count in (1, "1") and singular in MESSAGES else MESSAGES[key]
    return texts[index].format(**fields)

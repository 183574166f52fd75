"""The error messages of the classes that matter (docs/critical.md): conformal sets, recall guarantees, costs and
the monitors that watch them, English and Spanish side by side. Templates as `multiclass.cli.errors` (which adds
them to its ``ERRORS``); imports nothing.
"""

from __future__ import annotations

__all__ = ["CRITICAL"]

CRITICAL = [
    # a refusal at train, then the options that calibrate with fewer rows (`multiclass.jobs.critical.FEWER_ROWS`;
    # the longer forms first: a field matches any text)
    ("{message} Hold out more rows ({split}), lower {coverage}, pool the classes ({groups} 'marginal') or calibrate "
     "on every row ({calibration} 'cross').",
     "{message} Reserve más filas ({split}), baje {coverage}, agrupe las clases ({groups} 'marginal') o calibre con "
     "todas las filas ({calibration} 'cross')."),
    ("{message} Hold out more rows ({split}), lower {coverage} or calibrate on every row ({calibration} 'cross').",
     "{message} Reserve más filas ({split}), baje {coverage} o calibre con todas las filas ({calibration} 'cross')."),
    ("{message} Give more rows or lower {coverage}.", "{message} Dé más filas o baje {coverage}."),
    ("{message} Give more rows, lower {coverage} or pool the classes ({groups} 'marginal').",
     "{message} Dé más filas, baje {coverage} o agrupe las clases ({groups} 'marginal')."),
    ("{flag} shapes the prediction sets of {coverage}; set {again} too.",
     "{flag} da forma a los conjuntos de predicción de {coverage}; indique también {again}."),
    ("{flag} 'critical' calibrates each critical class alone, and none is named; name them with {critical} or "
     "choose 'all' or 'marginal'.",
     "{flag} 'critical' calibra cada clase crítica por separado, y no se nombra ninguna; nómbrelas con {critical} "
     "o elija 'all' o 'marginal'."),
    ("{flag} 'cross' needs the training rows; use {function}.",
     "{flag} 'cross' necesita las filas de entrenamiento; use {function}."),
    ("{flag} is calibrated on validation rows; set {split} > 0 or give validation data.",
     "{flag} se calibra con filas de validación; ponga {split} > 0 o dé datos de validación."),
    ("class {name} has {n} calibration rows; {level} coverage at {confidence} confidence needs at least {k}.",
     "la clase {name} tiene {n} filas de calibración; una cobertura del {level} con una confianza del "
     "{confidence} necesita al menos {k}."),
    ("class {name} has {n} calibration rows; {level} coverage needs at least {k}.",
     "la clase {name} tiene {n} filas de calibración; una cobertura del {level} necesita al menos {k}."),
    ("the calibration set has {n} rows; {level} coverage needs at least {k}.",
     "el conjunto de calibración tiene {n} filas; una cobertura del {level} necesita al menos {k}."),
    ("the classes pooled apart from {names} have {n} calibration rows; {level} coverage needs at least {k}.",
     "las clases agrupadas aparte de {names} tienen {n} filas de calibración; una cobertura del {level} necesita "
     "al menos {k}."),
    ("class {name} has {n} validation rows; a recall target of {level} is guaranteed on new rows from {k} rows on "
     "(use a larger validation split or a lower target).",
     "la clase {name} tiene {n} filas de validación; un objetivo de exhaustividad del {level} se garantiza en filas "
     "nuevas a partir de {k} filas (use una partición de validación mayor o un objetivo menor)."),
    ("{flag} is calibrated on held-out probabilities, which streamed training does not keep; train in memory.",
     "{flag} se calibra con probabilidades de filas reservadas, que el entrenamiento por lotes no guarda; entrene "
     "en memoria."),
    ("the model has no prediction sets; train it with {flag} set.",
     "el modelo no tiene conjuntos de predicción; entrénelo con {flag}."),
    ("{flag} must be one of {metrics}, cost or recall:CLASS; got {value}.",
     "{flag} debe ser uno de {metrics}, cost o recall:CLASS; se recibió {value}."),
    ("{flag} 'cost' needs a cost matrix and neither model's decision policy has one; give one with {costs}.",
     "{flag} 'cost' necesita una matriz de costes y la política de decisión de ningún modelo tiene una; dé una con "
     "{costs}."),
    ("{flag} 'cost' needs one cost matrix and the two models' decision policies do not hold the same one; give one "
     "with {costs}.",
     "{flag} 'cost' necesita una matriz de costes y las políticas de decisión de los dos modelos no tienen la misma; "
     "dé una con {costs}."),
    ("{flag} 'cost' needs a cost matrix; give one with {costs}.",
     "{flag} 'cost' necesita una matriz de costes; dé una con {costs}."),
    ("{costs} scores the models by cost; it cannot be given with {flag} {value}.",
     "{costs} puntúa los modelos por coste; no se puede dar con {flag} {value}."),
    ("{flag} must be one of {choices}; got {value}.", "{flag} debe ser uno de {choices}; se recibió {value}."),
    ("{flag} 'val_cost' prices the validation decisions with a cost matrix; give one with {costs}.",
     "{flag} 'val_cost' puntúa las decisiones de validación con una matriz de costes; dé una con {costs}."),
]

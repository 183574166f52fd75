"""The warnings the command line prints (``warning: ...`` / ``aviso: ...`` lines), English and Spanish side by side:
the data used, but not as given; a run that ran out of epochs. Templates as `multiclass.cli.errors` (which adds them
to its ``ERRORS``); imports nothing.
"""

from __future__ import annotations

__all__ = ["WARNINGS"]

# Warnings (``warning: ...`` lines): the data used, but not as given; a run that ran out of epochs.
WARNINGS = [
    ("{path}: {n} of {rows} rows have no label in column {name} (the first: row {row}); they are left out of "
     "training.",
     "{path}: {n} de {rows} filas no tienen etiqueta en la columna {name} (la primera: fila {row}); se dejan fuera "
     "del entrenamiento."),
    ("{path}: {n} of {rows} rows have no label in column {name} (the first: row {row}); they are left out of the "
     "evaluation.",
     "{path}: {n} de {rows} filas no tienen etiqueta en la columna {name} (la primera: fila {row}); se dejan fuera "
     "de la evaluación."),
    ("{path}: {n} of {files} files are not UTF-8 and were read as Windows-1252 (Latin-1), as old mail and news "
     "posts are written; the first: {file}.",
     "{path}: {n} de {files} archivos no son UTF-8 y se leyeron como Windows-1252 (Latin-1), como se escriben el "
     "correo y las noticias antiguos; el primero: {file}."),
    ("{path}: line {line} is not UTF-8 (byte {byte}); the file was read as {code}, as Excel on Windows saves a CSV; "
     "save it as UTF-8 to be sure of its accented letters.",
     "{path}: la línea {line} no es UTF-8 (byte {byte}); el archivo se leyó como {code}, como Excel en Windows "
     "guarda un CSV; guárdelo como UTF-8 para asegurar sus letras acentuadas."),
    ("{path}: column {name} is left out: every value is missing.",
     "{path}: la columna {name} se deja fuera: le faltan todos los valores."),
    ("{path}: column {name} is left out: it looks like a row identifier ({distinct} distinct values in {rows} rows); "
     "name it in `{flag}` to keep it as a feature, or in `{id_flag}` to carry it to the predictions.",
     "{path}: la columna {name} se deja fuera: parece un identificador de fila ({distinct} valores distintos en "
     "{rows} filas); nómbrela en `{flag}` para usarla como variable, o en `{id_flag}` para llevarla a las "
     "predicciones."),
    ("{path}: column {name} is left out: it looks like a row number (each integer from {low} to {high} once); "
     "name it in `{flag}` to keep it as a feature, or in `{id_flag}` to carry it to the predictions.",
     "{path}: la columna {name} se deja fuera: parece un número de fila (cada entero de {low} a {high} una vez); "
     "nómbrela en `{flag}` para usarla como variable, o en `{id_flag}` para llevarla a las predicciones."),
    ("{path}: column {name} is left out: it has no name in the header and a different value on every row: a row "
     "index written with the data; name it in `{flag}` to keep it as a feature, or in `{id_flag}` to carry it to "
     "the predictions.",
     "{path}: la columna {name} se deja fuera: no tiene nombre en la cabecera y un valor distinto en cada fila: un "
     "índice de filas escrito con los datos; nómbrela en `{flag}` para usarla como variable, o en `{id_flag}` para "
     "llevarla a las predicciones."),
    ("{path}: column {name} is free text, so the table is read as text (TF-IDF), as `{flag}` {same} asks; name it "
     "in `{categorical}` to one-hot encode it instead.",
     "{path}: la columna {name} es texto libre, así que la tabla se lee como texto (TF-IDF), como pide `{flag}` "
     "{same}; nómbrela en `{categorical}` para codificarla como categorías."),
    ("{path}: column {name} is left out: it looks like free text, and one-hot encoded its sentences would match "
     "only those seen in training; `{flag}` {same} reads the table as text (its other columns are then left out), "
     "`{categorical}` keeps it as categories.",
     "{path}: la columna {name} se deja fuera: parece texto libre, y codificada como categorías sus frases solo "
     "coincidirían con las vistas al entrenar; `{flag}` {same} lee la tabla como texto (y deja fuera sus demás "
     "columnas), `{categorical}` la usa como categorías."),
    ("{path}: column {name} holds numbers and text (row {row}: {value}): read as {n} categories; name it in "
     "`{flag}` to say so, or fix the value.",
     "{path}: la columna {name} mezcla números y texto (fila {row}: {value}): se lee como {n} categorías; "
     "nómbrela en `{flag}` para indicarlo, o corrija el valor."),
    ("class {name} has 1 example: kept in training, not in the validation split (its validation scores are "
     "undefined).",
     "la clase {name} tiene 1 ejemplo: se queda en el entrenamiento, no en la validación (sus métricas de "
     "validación no están definidas)."),
    ("classes {names} have 1 example: kept in training, not in the validation split (its validation scores are "
     "undefined).",
     "las clases {names} tienen 1 ejemplo: se quedan en el entrenamiento, no en la validación (sus métricas de "
     "validación no están definidas)."),
    ("training used all {epochs} epochs and its best epoch was {best}: the model was still improving; train again "
     "with more `{flag}` (or a larger `{lr_flag}`).",
     "el entrenamiento usó sus {epochs} épocas y la mejor fue la {best}: el modelo aún mejoraba; entrene de nuevo "
     "con más `{flag}` (o un `{lr_flag}` mayor)."),
    ("training used all {epochs} epochs and its best epoch was {best}: every validation row was already right and "
     "only the loss still fell (the classes look separable); more epochs would make the model more confident, not "
     "more accurate.",
     "el entrenamiento usó sus {epochs} épocas y la mejor fue la {best}: todas las filas de validación ya estaban "
     "bien y solo la pérdida seguía bajando (las clases parecen separables); más épocas harían el modelo más "
     "seguro, no más preciso."),
]

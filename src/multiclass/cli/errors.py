"""The error messages of the package and of the command line, English and Spanish side by side.

Each entry is ``(English template, Spanish template)``; ``{name}`` fields match any text and are carried over
unchanged (see `multiclass.cli.translate`), but ``{message}`` (another message, translated in turn),
``{listing}`` (``'name': <message>; ...``, each message translated) and ``{reason}`` (the operating system's
words, from `REASONS`). More specific templates come first: the first match
wins. Every message of the bad-input catalogue (docs/errors.md) has its template here, which
tests/test_cli_errors_*.py check by running the catalogue in Spanish; the warnings' templates are in
`multiclass.cli.warning_texts`, those of the classes that matter in `multiclass.cli.critical_texts`. Imports nothing
else: the parser uses it.
"""

from __future__ import annotations

from multiclass.cli.critical_texts import CRITICAL
from multiclass.cli.warning_texts import WARNINGS

__all__ = ["ERRORS", "REASONS"]

_USAGE = [
    ("`{flag}`: invalid choice: {value} (choose from {choices}); did you mean {close}?",
     "`{flag}`: valor no válido: {value} (elija entre {choices}); ¿quiso decir {close}?"),
    ("`{flag}`: invalid choice: {value} (choose from {choices})",
     "`{flag}`: valor no válido: {value} (elija entre {choices})"),
    ("`{flag}`: expected one argument", "`{flag}`: falta su valor"),
    ("the following arguments are required: --out (or --resume MODEL_DIR)",
     "faltan argumentos obligatorios: --out (o --resume MODEL_DIR)"),
    ("the following arguments are required: {names}", "faltan argumentos obligatorios: {names}"),
    ("unrecognized arguments: {names}", "argumentos no reconocidos: {names}"),
    ("`{flag}` 'val_cost' prices decisions with a cost matrix, which audit does not take; watch another monitor",
     "`{flag}` 'val_cost' puntúa decisiones con una matriz de costes, que audit no recibe; vigile otra métrica"),
    ("--out and --resume must name the same model directory; got {out} and {resume}",
     "--out y --resume deben nombrar el mismo directorio de modelo; se recibió {out} y {resume}"),
    ("`{flag}` must be an integer in [{low}, {high}] or 'none'; got {value}",
     "`{flag}` debe ser un entero en [{low}, {high}] o 'none'; se recibió {value}"),
    ("`{flag}` must be an integer in [{low}, {high}]; got {value}.",
     "`{flag}` debe ser un entero en [{low}, {high}]; se recibió {value}."),
    ("`{flag}` must be an integer in [{low}, {high}]; got {value}",
     "`{flag}` debe ser un entero en [{low}, {high}]; se recibió {value}"),
    ("`{flag}` must be a number in {bounds}; got {value}", "`{flag}` debe ser un número en {bounds}; se recibió {value}"),
    ("`{flag}` must be hidden widths such as {example}; got {value}",
     "`{flag}` debe dar anchuras de capas ocultas, como {example}; se recibió {value}"),
    ("`{flag}` must be hidden widths of at most {n} units such as {example}; got {value}",
     "`{flag}` debe dar anchuras de capas ocultas de {n} unidades como mucho, como {example}; se recibió {value}"),
    ("`{flag}` must be positive hidden widths such as {example}; got {value}",
     "`{flag}` debe dar anchuras positivas de capas ocultas, como {example}; se recibió {value}"),
    ("`{flag}` must be 'balanced', 'sqrt_balanced', 'none' or name=weight,name=weight; got {value}",
     "`{flag}` debe ser 'balanced', 'sqrt_balanced', 'none' o nombre=peso,nombre=peso; se recibió {value}"),
    ("`{flag}` must be class=recall,class=recall with recalls in (0, 1], such as fault=0.95; got {value}",
     "`{flag}` debe ser clase=exhaustividad,clase=exhaustividad con valores en (0, 1], como fault=0.95; "
     "se recibió {value}"),
]

_TABLES = [
    ("{path} (a batch starting at row {row}): {message}", "{path} (un lote que empieza en la fila {row}): {message}"),
    ("{path}: the file is empty (no header line).", "{path}: el archivo está vacío (no tiene línea de cabecera)."),
    ("{path}: the table has no data rows.", "{path}: la tabla no tiene filas de datos."),
    ("{path}: has a header but no rows.", "{path}: tiene cabecera pero ninguna fila."),
    ("{path}: target column {column} not found; available columns: {columns} (the file was read as one column: is "
     "its delimiter one of , ; tab |?).",
     "{path}: no se encuentra la columna objetivo {column}; columnas disponibles: {columns} (el archivo se leyó como "
     "una sola columna: ¿es su delimitador uno de , ; tabulador |?)."),
    ("{path}: target column {column} not found; available columns: {columns} (the file has no header line, so its "
     "columns are named column_1, column_2, ...: column {number} is {name}).",
     "{path}: no se encuentra la columna objetivo {column}; columnas disponibles: {columns} (el archivo no tiene "
     "línea de cabecera, así que sus columnas se llaman column_1, column_2, ...: la columna {number} es {name})."),
    ("{path}: target column {column} not found; available columns: {columns} (the first line was read as the "
     "column names: if it is data, {flag} names the columns column_1, column_2, ...).",
     "{path}: no se encuentra la columna objetivo {column}; columnas disponibles: {columns} (la primera línea se leyó "
     "como nombres de columna: si es de datos, {flag} llama a las columnas column_1, column_2, ...)."),
    ("{path}: target column {column} not found; available columns: {columns} (did you mean {name}?).",
     "{path}: no se encuentra la columna objetivo {column}; columnas disponibles: {columns} (¿quiso decir {name}?)."),
    ("{path}: target column {column} not found; available columns: {columns}.",
     "{path}: no se encuentra la columna objetivo {column}; columnas disponibles: {columns}."),
    ("`{flag}` must name columns of {path}; got {name}. Available columns: {columns}.",
     "`{flag}` debe nombrar columnas de {path}; se recibió {name}. Columnas disponibles: {columns}."),
    ("{path}: text column {column} not found; available columns: {columns} (did you mean {name}?).",
     "{path}: no se encuentra la columna de texto {column}; columnas disponibles: {columns} (¿quiso decir {name}?)."),
    ("{path}: text column {column} not found; available columns: {columns}.",
     "{path}: no se encuentra la columna de texto {column}; columnas disponibles: {columns}."),
    ("`{flag}` must name the label column of {path}; got {value}. Available columns: {columns}.",
     "`{flag}` debe nombrar la columna de etiquetas de {path}; se recibió {value}. Columnas disponibles: {columns}."),
    ("{path}: training needs at least 2 classes; got {n}.",
     "{path}: el entrenamiento necesita al menos 2 clases; se recibió {n}."),
    ("{path}: class {name} has 1 example; a stratified validation split needs at least 2 per class (add examples, "
     "pass validation data, or set val_split to 0).",
     "{path}: la clase {name} tiene 1 ejemplo; una partición de validación estratificada necesita al menos 2 por "
     "clase (añada ejemplos, dé datos de validación o ponga val_split a 0)."),
    ("class {name} has 1 example; a stratified validation split needs at least 2 per class (add examples, pass "
     "validation data, or set val_split to 0).",
     "la clase {name} tiene 1 ejemplo; una partición de validación estratificada necesita al menos 2 por clase "
     "(añada ejemplos, dé datos de validación o ponga val_split a 0)."),
    ("{path}: no class has 2 examples (class {name} has 1); a stratified validation split needs at least 2 in some "
     "class (add examples, pass validation data (`{data_flag}`), or set `{split_flag}` to 0).",
     "{path}: ninguna clase tiene 2 ejemplos (la clase {name} tiene 1); una partición de validación estratificada "
     "necesita al menos 2 en alguna clase (añada ejemplos, dé datos de validación (`{data_flag}`) o ponga "
     "`{split_flag}` a 0)."),
    ("{path}: there are no feature columns left to learn from (left out: {listing}).",
     "{path}: no queda ninguna columna de variables de la que aprender (se dejaron fuera: {listing})."),
    ("{path}: there are no feature columns left to learn from.",
     "{path}: no queda ninguna columna de variables de la que aprender."),
    ("every value is missing", "faltan todos los valores"),
    ("it looks like a row identifier ({n} distinct values in {rows} rows)",
     "parece un identificador de fila ({n} valores distintos en {rows} filas)"),
    ("it looks like a row number (each integer from {low} to {high} once)",
     "parece un número de fila (cada entero de {low} a {high} una vez)"),
    ("it has no name in the header and a different value on every row: a row index written with the data",
     "no tiene nombre en la cabecera y un valor distinto en cada fila: un índice de filas escrito con los datos"),
    ("{path}: column {column} row {row}: the label is missing.",
     "{path}: columna {column}, fila {row}: falta la etiqueta."),
    ("{path}: column {column}: every label is missing; training needs labelled rows.",
     "{path}: columna {column}: faltan todas las etiquetas; el entrenamiento necesita filas etiquetadas."),
    ("{path}: column {column} row {row}: value {value} is not finite.",
     "{path}: columna {column}, fila {row}: el valor {value} no es finito."),
    ("{path}: column {column} row {row}: value {value} is not numeric (the other values are numbers; fix it, or name "
     "the column in `--categorical` to treat it as categories).",
     "{path}: columna {column}, fila {row}: el valor {value} no es numérico (los demás valores son números; "
     "corríjalo, o nombre la columna en `--categorical` para tratarla como categorías)."),
    ("{path}: column {column} row {row}: value {value} is not numeric.",
     "{path}: columna {column}, fila {row}: el valor {value} no es numérico."),
    ("{path}: column {column} row {row}: value {value} is too large; the network computes in float32, whose "
     "numbers reach {limit} (rescale the column).",
     "{path}: columna {column}, fila {row}: el valor {value} es demasiado grande; la red calcula en float32, cuyos "
     "números llegan a {limit} (cambie la escala de la columna)."),
    ("column {column} row {row}: value {value} is not numeric.",
     "columna {column}, fila {row}: el valor {value} no es numérico."),
    ("{path}: column {column}: every value is missing; drop it with `--ignore`.",
     "{path}: columna {column}: faltan todos los valores; quítela con `--ignore`."),
    ("{path}: line {line} has {n} fields but the header has {m} (delimiter {delimiter}); every row needs one value "
     "per column (quote values that contain the delimiter).",
     "{path}: la línea {line} tiene {n} campos pero la cabecera tiene {m} (delimitador {delimiter}); cada fila "
     "necesita un valor por columna (entrecomille los valores que contengan el delimitador)."),
    ("{path}: cannot read the table: {detail}", "{path}: no se puede leer la tabla: {detail}"),
    ("{path}: cannot be read as a table: {detail}", "{path}: no se puede leer como tabla: {detail}"),
    ("{path}: line {line} is not UTF-8 (byte {byte}); save the file as UTF-8 (it may be Latin-1 or Windows-1252).",
     "{path}: la línea {line} no es UTF-8 (byte {byte}); guarde el archivo como UTF-8 (puede estar en Latin-1 o "
     "Windows-1252)."),
    ("{path}: duplicated column name {name} (columns {a} and {b}); every column needs its own name.",
     "{path}: nombre de columna repetido {name} (columnas {a} y {b}); cada columna necesita su propio nombre."),
    ("{path}: line {line} is longer than {n} bytes, the maximum line length of a table; it is not a delimited text "
     "table (or it is damaged).",
     "{path}: la línea {line} supera los {n} bytes, la longitud máxima de línea de una tabla; no es una tabla de "
     "texto delimitado (o está dañada)."),
    ("{path}: column {column}: every text is empty (no word characters); there is nothing to learn from.",
     "{path}: columna {column}: todos los textos están vacíos (sin caracteres de palabra); no hay nada de lo que "
     "aprender."),
    ("{path}: column {column}: labels never seen in training: {labels}; the model knows {known}.",
     "{path}: columna {column}: etiquetas que no aparecieron en el entrenamiento: {labels}; el modelo conoce "
     "{known}."),
    ("{path}: missing column {column} needed by the model; the data has columns: {columns}.",
     "{path}: falta la columna {column}, que el modelo necesita; los datos tienen las columnas: {columns}."),
    ("{path}: `{flag}` names column {column}, which the data does not have; it has columns: {columns}.",
     "{path}: `{flag}` nombra la columna {column}, que los datos no tienen; tienen las columnas: {columns}."),
    ("{path}: evaluation needs labels (column {column}); the data has none.",
     "{path}: la evaluación necesita etiquetas (columna {column}); los datos no las tienen."),
    ("{path}: evaluation needs labels; the data has none.",
     "{path}: la evaluación necesita etiquetas; los datos no las tienen."),
    ("{path}: needs a {column} column; found columns {columns} (predictions of `multiclass predict`: write the true "
     "labels with --keep-columns LABEL_COLUMN).",
     "{path}: necesita una columna {column}; se encontraron las columnas {columns} (predicciones de `multiclass "
     "predict`: escriba las etiquetas reales con --keep-columns COLUMNA_DE_ETIQUETAS)."),
    ("{path}: needs a {column} column; found columns {columns}.",
     "{path}: necesita una columna {column}; se encontraron las columnas {columns}."),
    ("{path}: column {column} has an empty label at {place}.",
     "{path}: la columna {column} tiene una etiqueta vacía en {place}."),
    ("{path}: column {column} must hold probabilities in [0, 1]; got {value} at {place}.",
     "{path}: la columna {column} debe contener probabilidades en [0, 1]; se recibió {value} en {place}."),
    ("{path}: column {column} has label {label} at {place}, which has no {probability} probability column.",
     "{path}: la columna {column} tiene la etiqueta {label} en {place}, que no tiene columna de probabilidad "
     "{probability}."),
    ("{path}: the p_<class> columns must sum to 1 in every row; got {value} at {place}.",
     "{path}: las columnas p_<clase> deben sumar 1 en cada fila; se recibió {value} en {place}."),
    ("{path}: a report needs at least 2 classes; got {classes}.",
     "{path}: un informe necesita al menos 2 clases; se recibió {classes}."),
    ("{path}: cannot be read as a Parquet file: {detail}", "{path}: no se puede leer como archivo Parquet: {detail}"),
    ("{path}: the table has no rows to evaluate.", "{path}: la tabla no tiene filas que evaluar."),
]

_SOURCES = [
    ("{path}: no such file or folder, and not a built-in dataset ({names}).",
     "{path}: no existe ese archivo o carpeta, y no es un conjunto de datos incorporado ({names})."),
    ("{path}: no such file.", "{path}: no existe ese archivo."),
    ("{path}: not a regular file (a pipe, a device or a socket); give a file.",
     "{path}: no es un archivo normal (una tubería, un dispositivo o un socket); indique un archivo."),
    ("{path}: is gzip-compressed (it starts with gzip's bytes 1F 8B) but its name does not say so; name it .gz "
     "(data.csv.gz) or decompress it.",
     "{path}: está comprimido con gzip (empieza por los bytes 1F 8B de gzip) pero su nombre no lo dice; llámelo .gz "
     "(data.csv.gz) o descomprímalo."),
    ("{path}: multiclass does not read {ext} files (spreadsheets, JSON, pickles...); save the data as CSV (or "
     "Parquet) and pass that file.",
     "{path}: multiclass no lee archivos {ext} (hojas de cálculo, JSON, pickles...); guarde los datos como CSV (o "
     "Parquet) y pase ese archivo."),
    ("{path}: cannot tell the format from the name or the first bytes; pass `--kind` ({kinds}).",
     "{path}: no se puede deducir el formato del nombre ni de los primeros bytes; indique `--kind` ({kinds})."),
    ("{path}: not an IDX file: magic number {magic} must start with two zero bytes.",
     "{path}: no es un archivo IDX: el número mágico {magic} debe empezar por dos bytes a cero."),
    ("{path}: unknown IDX data type code {code}; expected one of {codes}.",
     "{path}: código de tipo de datos IDX desconocido {code}; se esperaba uno de {codes}."),
    ("{path}: IDX data is truncated: expected {expected} bytes, got {got}.",
     "{path}: los datos IDX están truncados: se esperaban {expected} bytes y hay {got}."),
    ("{path}: IDX file has {n} bytes after the declared {m} bytes of data.",
     "{path}: el archivo IDX tiene {n} bytes tras los {m} bytes de datos declarados."),
    ("{path}: the gzip stream is corrupt or truncated ({detail}).",
     "{path}: el flujo gzip está dañado o truncado ({detail})."),
    ("{path}: labels must have shape {shape} to match {images}; got {got}.",
     "{path}: las etiquetas deben tener forma {shape} para corresponder a {images}; se recibió {got}."),
    ("{path}: not an image Pillow can read.", "{path}: no es una imagen que Pillow pueda leer."),
    ("{path}: the image has {w} x {h} pixels, more than the {n} that are read; make it smaller.",
     "{path}: la imagen tiene {w} x {h} píxeles, más de los {n} que se leen; redúzcala."),
    ("{path}: array {name} declares shape {shape} ({size}) but the archive holds {held} for it.",
     "{path}: el array {name} declara la forma {shape} ({size}) pero el archivo solo contiene {held} para él."),
    ("{what} needs {size}, more than the memory budget of {budget} (set MULTICLASS_MAX_MEMORY to change it).",
     "{what} necesita {size}, más que el presupuesto de memoria de {budget} (defina MULTICLASS_MAX_MEMORY para "
     "cambiarlo)."),
    ("MULTICLASS_MAX_MEMORY must be a size in bytes such as 512M or 8G; got {value}.",
     "MULTICLASS_MAX_MEMORY debe ser un tamaño en bytes como 512M u 8G; se recibió {value}."),
    ("{path}: class folder {name} holds no images.", "{path}: la carpeta de clase {name} no contiene imágenes."),
    ("{path}: no class sub-folders; training needs one folder of images per class.",
     "{path}: no hay subcarpetas de clases; el entrenamiento necesita una carpeta de imágenes por clase."),
    ("{path}: no array {name}; training needs labels (save them with np.savez(..., X=X, y=y)).",
     "{path}: no hay ningún array {name}; el entrenamiento necesita etiquetas (guárdelas con "
     "np.savez(..., X=X, y=y))."),
    ("{path}: array {name} holds Python objects, which are refused (loading them would unpickle); save numbers or "
     "fixed-width strings.",
     "{path}: el array {name} contiene objetos de Python, que se rechazan (cargarlos ejecutaría pickle); guarde "
     "números o cadenas de anchura fija."),
    ("{path}: `{name}` must be finite; got {value} at row {row}, column {column}.",
     "{path}: `{name}` debe ser finito; se recibió {value} en la fila {row}, columna {column}."),
    ("{path}: there are no features (`X` has shape {shape}).",
     "{path}: no hay variables (`X` tiene forma {shape})."),
    ("{path}: not a readable .npz archive ({detail}).", "{path}: no es un archivo .npz legible ({detail})."),
    ("{path}: is {kind} data, but the model's preprocessor {name} reads {kinds} data.",
     "{path}: son datos {kind}, pero el preprocesador {name} del modelo lee datos {kinds}."),
]

_MODELS = [
    ("{path}: not a model directory (expected a folder with model.json and weights.safetensors).",
     "{path}: no es un directorio de modelo (se esperaba una carpeta con model.json y weights.safetensors)."),
    ("{path}: the model directory is missing {name}.", "{path}: al directorio del modelo le falta {name}."),
    ("{path}: format_version {version} is not supported by multiclass {ours} (it reads version {reads}).",
     "{path}: format_version {version} no es compatible con multiclass {ours} (lee la versión {reads})."),
    ("{path}: checksum mismatch, the file was modified after it was written.",
     "{path}: la suma de comprobación no coincide; el archivo se modificó después de escribirse."),
    ("{path}: not valid JSON ({detail}).", "{path}: no es JSON válido ({detail})."),
    ("{path}: entry {entry} must be {what}; got {value}.", "{path}: la entrada {entry} debe ser {what}; se recibió "
     "{value}."),
    ("{path}: entry classes names {n} classes, but model_config.n_classes is {m}.",
     "{path}: la entrada classes nombra {n} clases, pero model_config.n_classes es {m}."),
    ("{path}: entry classes names a class twice.", "{path}: la entrada classes nombra una clase dos veces."),
    ("{path}: entry preprocessor.params: images of {h} x {w} x {c} give {n} features, but model_config.n_features "
     "is {m}.",
     "{path}: entrada preprocessor.params: imágenes de {h} x {w} x {c} dan {n} variables, pero "
     "model_config.n_features es {m}."),
    ("{path}: not signed, and MULTICLASS_MODEL_KEY is set (only signed models are read).",
     "{path}: no está firmado, y MULTICLASS_MODEL_KEY está definida (solo se leen modelos firmados)."),
    ("{path}: the signature does not match MULTICLASS_MODEL_KEY; the model was changed or signed with another key.",
     "{path}: la firma no coincide con MULTICLASS_MODEL_KEY; el modelo se modificó o se firmó con otra clave."),
    ("{path}: the checkpoint is incomplete or damaged ({detail}); train from scratch without --resume.",
     "{path}: el punto de control está incompleto o dañado ({detail}); entrene desde cero sin --resume."),
    ("{path}: SHA-256 does not match model.json; the weights were replaced or damaged.",
     "{path}: el SHA-256 no coincide con model.json; los pesos se sustituyeron o están dañados."),
    ("{path}: tensor {name} has shape {shape}, the model needs {needed}.",
     "{path}: el tensor {name} tiene forma {shape}, el modelo necesita {needed}."),
    ("{path}: not a safetensors file ({detail}).", "{path}: no es un archivo safetensors ({detail})."),
    ("{path}: exists and is not a model directory; it would not be replaced.",
     "{path}: existe y no es un directorio de modelo; no se reemplazaría."),
    ("the models must know the same classes to be compared; got {a} and {b}.",
     "los modelos deben conocer las mismas clases para compararlos; se recibió {a} y {b}."),
]

_OPTIONS = [
    ("`{flag}` must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {value}.",
     "`{flag}` debe ser 'cpu', 'cuda', 'cuda:N' o 'auto'; se recibió {value}."),
    ("`{flag}` is 'cuda' but no CUDA GPU is available here; use 'cpu' or 'auto'.",
     "`{flag}` es 'cuda' pero aquí no hay ninguna GPU CUDA; use 'cpu' o 'auto'."),
    ("`{flag}` names class {name}, which is not one of the classes {classes}.",
     "`{flag}` nombra la clase {name}, que no es una de las clases {classes}."),
    ("`{flag}` must not name a column the predictions have themselves; got {name}.",
     "`{flag}` no debe nombrar una columna que las propias predicciones tienen; se recibió {name}."),
    ("`{flag}` must name each column once; got {names}.", "`{flag}` debe nombrar cada columna una sola vez; se "
                                                           "recibió {names}."),
    ("`{flag}` applies to tables; this model reads {kind} data.",
     "`{flag}` se aplica a tablas; este modelo lee datos {kind}."),
]

_TRAINING = [
    ("`{flag}` must give every class a finite weight >= 0, and some class a positive one; got {value}.",
     "`{flag}` debe dar a cada clase un peso finito >= 0, y a alguna un peso positivo; se recibió {value}."),
    ("training diverged at epoch {epoch}: the training loss is {loss}; the learning rate `{lr_flag}` ({lr}) or the L2 "
     "penalty `{l2_flag}` ({l2}) is likely too large (or the features have very different scales: standardise "
     "them); lower it and train again.",
     "el entrenamiento divergió en la época {epoch}: la pérdida de entrenamiento es {loss}; la tasa de aprendizaje "
     "`{lr_flag}` ({lr}) o la penalización L2 `{l2_flag}` ({l2}) es probablemente demasiado grande (o las variables "
     "tienen escalas muy distintas: estandarícelas); redúzcala y vuelva a entrenar."),
]

_OUTPUTS = [
    ("{path}: the directory {folder} does not exist.", "{path}: el directorio {folder} no existe."),
    ("{path}: cannot write into {folder} ({reason}).", "{path}: no se puede escribir en {folder} ({reason})."),
    ("{path}: cannot be written ({reason}).", "{path}: no se puede escribir ({reason})."),
    ("{path}: is also the input data {source}; write the output to another file.",
     "{path}: es también el archivo de entrada {source}; escriba la salida en otro archivo."),
    ("{path}: is also the input folder {source}; write the output elsewhere.",
     "{path}: es también la carpeta de entrada {source}; escriba la salida en otro lugar."),
    ("{path}: is inside the input {source}; write the output elsewhere.",
     "{path}: está dentro de la entrada {source}; escriba la salida en otro lugar."),
    ("{path}: holds the input {source}, which writing it would replace; write the output elsewhere.",
     "{path}: contiene la entrada {source}, que escribirla reemplazaría; escriba la salida en otro lugar."),
    ("{path}: is given to both {a} and {b} ({other}); each output needs its own file.",
     "{path}: se indica a la vez en {a} y en {b} ({other}); cada salida necesita su propio archivo."),
    ("{path}: is a folder; give a file name.", "{path}: es una carpeta; indique un nombre de archivo."),
]

_AUDIT = [  # multiclass audit and train --drop-suspects (multiclass.jobs.audit, multiclass.audit)
    ("{path}: is a file; give a folder for the audit's files.",
     "{path}: es un archivo; indique una carpeta para los archivos de la auditoría."),
    ("{path}: an audit reads its data whole (it trains {folds} fold models on it); a folder of shards or a table "
     "larger than memory is not supported yet.",
     "{path}: una auditoría lee sus datos enteros (entrena {folds} modelos de pliegue con ellos); una carpeta de "
     "fragmentos o una tabla mayor que la memoria aún no se admite."),
    ("{path}: an audit needs the given labels; the data has no target.",
     "{path}: una auditoría necesita las etiquetas dadas; los datos no tienen objetivo."),
    ("an audit needs at least 2 classes; got {n}.", "una auditoría necesita al menos 2 clases; se recibió {n}."),
    ("`{flag}` ({folds}) must not exceed the number of rows ({rows}).",
     "`{flag}` ({folds}) no debe superar el número de filas ({rows})."),
    ("fold {fold}: the {rows} rows outside it are too few to both train and early-stop a model (val_split={split}); "
     "pass more rows or use fewer folds.",
     "pliegue {fold}: las {rows} filas de fuera son muy pocas para entrenar un modelo y detenerlo a tiempo "
     "(val_split={split}); dé más filas o use menos pliegues."),
    ("`{flag}` must be > 0 for an audit: each fold model early-stops on a share of its rows; got 0.",
     "`{flag}` debe ser > 0 en una auditoría: cada modelo de pliegue se detiene según una parte de sus filas; se "
     "recibió 0."),
    ("the stacked engine trains float32 models without `{flag}`; got {settings} (use engine='separate').",
     "el motor apilado entrena modelos float32 sin `{flag}`; se recibió {settings} (use engine='separate')."),
    ("`{flag}` applies to data read whole; a streamed table cannot drop rows.",
     "`{flag}` se aplica a datos leídos enteros; una tabla leída por lotes no puede excluir filas."),
    ("{path}: no such file; pass the folder `write_audit` wrote (it holds {json} and {csv}).",
     "{path}: no existe ese archivo; indique la carpeta que escribió la auditoría (contiene {json} y {csv})."),
    ("{path}: is not an audit record (schema {schema}).",
     "{path}: no es un registro de auditoría (esquema {schema})."),
    ("{path}: needs a 'row' column; found {names}.", "{path}: necesita una columna 'row'; se encontró {names}."),
    ("{path}: line {line}: 'row' must be a row number in [0, {n}); got {value}.",
     "{path}: línea {line}: 'row' debe ser un número de fila en [0, {n}); se recibió {value}."),
    ("{path}: the audit holds no fingerprint of its labels (a streamed audit), so its row numbers cannot be checked "
     "against these rows; drop the rows of suspects.csv yourself.",
     "{path}: la auditoría no guarda la huella de sus etiquetas (una auditoría por lotes), así que sus números de "
     "fila no se pueden comprobar con estas filas; quite usted las filas de suspects.csv."),
    ("{path}: the audit was made on other data ({rows} rows, classes {classes}); its row numbers do not apply to "
     "these {n} rows.",
     "{path}: la auditoría se hizo con otros datos ({rows} filas, clases {classes}); sus números de fila no valen "
     "para estas {n} filas."),
    ("{path}: lists every row of {data} as a suspect; nothing is left to train on.",
     "{path}: señala todas las filas de {data} como sospechosas; no queda nada con que entrenar."),
    ("{path}: has no labels to check against the audit.",
     "{path}: no tiene etiquetas que comprobar con la auditoría."),
]


ERRORS = _USAGE + _TABLES + _SOURCES + _MODELS + _OPTIONS + _TRAINING + _AUDIT + _OUTPUTS + WARNINGS + CRITICAL

# The operating system's reasons (``strerror``), as `OSError` gives them in English.
REASONS = {
    "Permission denied": "permiso denegado",
    "No such file or directory": "no existe el archivo o el directorio",
    "No space left on device": "no queda espacio en el dispositivo",
    "Is a directory": "es un directorio",
    "Not a directory": "no es un directorio",
    "Read-only file system": "sistema de archivos de solo lectura",
    "File exists": "el archivo ya existe",
    "Disk quota exceeded": "cuota de disco superada",
    "Too many open files": "demasiados archivos abiertos",
    "Input/output error": "error de entrada/salida",
}

"""Malformed requests, one test each: every one is answered 4xx (never 500) with a one-line JSON error that names
the field and the row where there is one, and never echoes the value sent (each carries a marker that must not
come back). In process, through the ASGI app; the slow and huge bodies over real sockets are in test_serve_http."""

from __future__ import annotations

import asyncio
import base64
import io
import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from tests.runtime_helpers import train_pixels, train_table, train_text
from tests.serve_helpers import call, started_app

torch.set_num_threads(1)

SECRET = "zq-secret-7731"  # must never appear in an answer
GOOD = {"age": 41.0, "income": 1000.0, "constant": 1.0, "member": True, "city": "Lima"}


def rec(**changes):
    record = dict(GOOD)
    for key, value in changes.items():
        if value is ...:
            record.pop(key)
        else:
            record[key] = value
    return record


def j(value) -> bytes:
    return json.dumps(value).encode()


def parquet_of(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return buffer.getvalue()


def csv_of(text: str) -> bytes:
    return text.encode()


HEADER = "age,income,constant,member,city\n"
BIG = 100 * 2**20  # 100 MB

# (id, model, method, path, body, content_type, extra call options, status, field, row)
CASES = [
    ("number_as_string", "table", "POST", "/predict", j([rec(age=SECRET)]), "application/json", {}, 400, "age", 1),
    ("bool_as_string", "table", "POST", "/predict", j([rec(member=SECRET)]), "application/json", {}, 400, "member", 1),
    ("number_as_bool", "table", "POST", "/predict", j([rec(age=True)]), "application/json", {}, 400, "age", 1),
    ("category_as_object", "table", "POST", "/predict", j([rec(city={"x": SECRET})]), "application/json", {}, 400,
     "city", 1),
    ("category_as_list", "table", "POST", "/predict", j([rec(city=[SECRET])]), "application/json", {}, 400, "city", 1),
    ("number_as_list", "table", "POST", "/predict", j([rec(), rec(income=[1, 2])]), "application/json", {}, 400,
     "income", 2),
    ("missing_field", "table", "POST", "/predict", j([rec(city=...)]), "application/json", {}, 400, "city", 1),
    ("missing_field_second_row", "table", "POST", "/predict", j([rec(), rec(age=...)]), "application/json", {}, 400,
     "age", 2),
    ("extra_field", "table", "POST", "/predict", j([rec(zzz=SECRET)]), "application/json", {}, 400, "zzz", 1),
    ("nan_literal", "table", "POST", "/predict", b'[{"age": NaN, "income": 1, "constant": 1, "member": true, '
     b'"city": "' + SECRET.encode() + b'"}]', "application/json", {}, 400, None, None),
    ("infinity_literal", "table", "POST", "/predict", j([rec()]).replace(b"41.0", b"Infinity"), "application/json", {},
     400, None, None),
    ("minus_infinity_literal", "table", "POST", "/predict", j([rec()]).replace(b"41.0", b"-Infinity"),
     "application/json", {}, 400, None, None),
    ("number_overflowing_to_infinity", "table", "POST", "/predict", j([rec()]).replace(b"41.0", b"1e400"),
     "application/json", {}, 400, "age", 1),
    ("body_of_100_MB_declared", "table", "POST", "/predict", b"[]", "application/json",
     {"headers": {"content-length": str(BIG)}}, 413, None, None),
    ("body_of_100_MB_streamed", "table", "POST", "/predict", None, "application/json",
     {"chunks": [b"[" + b" " * (2**20)] * 100 + [b"]"]}, 413, None, None),
    ("deep_nesting_beyond_recursion", "table", "POST", "/predict", b"[" * 100_000 + b"]" * 100_000,
     "application/json", {}, 400, None, None),
    ("deep_nesting_of_a_value", "table", "POST", "/predict",
     j([rec(city=json.loads("[" * 60 + json.dumps(SECRET) + "]" * 60))]), "application/json", {}, 400, None, None),
    ("content_type_text_plain", "table", "POST", "/predict", j([rec()]), "text/plain", {}, 415, None, None),
    ("content_type_missing", "table", "POST", "/predict", j([rec()]), None, {}, 415, None, None),
    ("content_type_xml", "table", "POST", "/predict", b"<age>" + SECRET.encode() + b"</age>", "application/xml", {},
     415, None, None),
    ("slow_body", "table", "POST", "/predict", None, "application/json",
     {"chunks": [b"[", b"{"], "delay_s": 0.3}, 408, None, None),
    ("invalid_utf8_json", "table", "POST", "/predict", b'[{"city": "\xff\xfe' + SECRET.encode() + b'"}]',
     "application/json", {}, 400, None, None),
    ("invalid_utf8_csv", "table", "POST", "/predict", csv_of(HEADER) + b"41,1,1,True,\xff" + SECRET.encode() + b"\n",
     "text/csv", {}, 400, None, None),
    ("empty_body", "table", "POST", "/predict", b"", "application/json", {}, 400, None, None),
    ("no_rows", "table", "POST", "/predict", b"[]", "application/json", {}, 400, None, None),
    ("unknown_wrapper", "table", "POST", "/predict", j({"rows": [rec()]}), "application/json", {}, 400, None, None),
    ("top_level_number", "table", "POST", "/predict", b"42", "application/json", {}, 400, None, None),
    ("records_not_objects", "table", "POST", "/predict", j([SECRET]), "application/json", {}, 400, None, 1),
    ("columns_not_lists", "table", "POST", "/predict", j({"columns": {**{k: [v] for k, v in GOOD.items()},
                                                                      "age": SECRET}}), "application/json", {}, 400,
     "age", None),
    ("columns_of_unequal_length", "table", "POST", "/predict",
     j({"columns": {**{k: [v] for k, v in GOOD.items()}, "age": [1.0, 2.0]}}), "application/json", {}, 400, None,
     None),
    ("csv_ragged_row", "table", "POST", "/predict", csv_of(HEADER + "41,1,1,True,Lima," + SECRET + "\n"), "text/csv",
     {}, 400, None, None),
    ("csv_duplicate_column", "table", "POST", "/predict", csv_of("age,age\n1,2\n"), "text/csv", {}, 400, "age", None),
    ("csv_missing_column", "table", "POST", "/predict", csv_of("age,income,constant,member\n41,1,1,True\n"),
     "text/csv", {}, 400, "city", None),
    ("csv_text_in_number_column", "table", "POST", "/predict",
     csv_of(HEADER + "41,1,1,True,Lima\n" + SECRET + ",1,1,True,Lima\n"), "text/csv", {}, 400, "age", 2),
    ("csv_unclosed_quote", "table", "POST", "/predict", csv_of(HEADER + '41,1,1,True,"Li' + SECRET + "\n"),
     "text/csv", {}, 400, None, None),
    ("parquet_garbage", "table", "POST", "/predict", b"PAR1" + SECRET.encode() * 10, "application/vnd.apache.parquet",
     {}, 400, None, None),
    ("arrow_garbage", "table", "POST", "/predict", SECRET.encode() * 10, "application/vnd.apache.arrow.stream", {},
     400, None, None),
    ("parquet_wrong_column_type", "table", "POST", "/predict",
     parquet_of(pd.DataFrame([rec(age=SECRET)])), "application/vnd.apache.parquet", {}, 400, "age", 1),
    ("content_length_not_a_number", "table", "POST", "/predict", j([rec()]), "application/json",
     {"headers": {"content-length": "12" + SECRET}}, 400, None, None),
    ("top_k_zero", "table", "POST", "/predict", j([rec()]), "application/json", {"query": b"top_k=0"}, 400, "top_k",
     None),
    ("top_k_not_a_number", "table", "POST", "/predict", j([rec()]), "application/json",
     {"query": b"top_k=" + SECRET.encode()}, 400, "top_k", None),
    ("deadline_not_a_number", "table", "POST", "/predict", j([rec()]), "application/json",
     {"headers": {"x-deadline-ms": SECRET}}, 400, None, None),
    ("wrong_method", "table", "GET", "/predict", b"", None, {}, 405, None, None),
    ("unknown_route", "table", "GET", "/admin/load?path=/etc/passwd", b"", None, {}, 404, None, None),
    ("too_many_rows", "table", "POST", "/predict", j([rec()] * 30), "application/json", {}, 413, None, None),
    ("oip_no_inputs", "table", "POST", "/v2/models/table_model/infer", j({"id": SECRET}), "application/json", {},
     400, None, None),
    ("oip_unknown_input", "table", "POST", "/v2/models/table_model/infer",
     j({"inputs": [{"name": "zzz", "shape": [1], "datatype": "FP64", "data": [1.0]}]}), "application/json", {}, 400,
     "zzz", None),
    ("oip_wrong_datatype", "table", "POST", "/v2/models/table_model/infer",
     j({"inputs": [{"name": "age", "shape": [1], "datatype": "BYTES", "data": [SECRET]}]}), "application/json", {},
     400, "age", None),
    ("oip_shape_mismatch", "table", "POST", "/v2/models/table_model/infer",
     j({"inputs": [{"name": "age", "shape": [2, 3], "datatype": "FP64", "data": [1.0] * 6}]}), "application/json",
     {}, 400, "age", None),
    ("oip_data_length_mismatch", "table", "POST", "/v2/models/table_model/infer",
     j({"inputs": [{"name": "age", "shape": [3], "datatype": "FP64", "data": [1.0]}]}), "application/json", {}, 400,
     "age", None),
    ("oip_bool_not_bool", "table", "POST", "/v2/models/table_model/infer",
     j({"inputs": [{"name": "member", "shape": [1], "datatype": "BOOL", "data": [SECRET]}]}), "application/json", {},
     400, "member", None),
    ("oip_missing_input", "table", "POST", "/v2/models/table_model/infer",
     j({"inputs": [{"name": "age", "shape": [1], "datatype": "FP64", "data": [1.0]}]}), "application/json", {}, 400,
     "income", None),
    ("oip_wrong_content_type", "table", "POST", "/v2/models/table_model/infer", b"age=" + SECRET.encode(),
     "application/x-www-form-urlencoded", {}, 415, None, None),
    ("oip_unknown_model", "table", "POST", "/v2/models/other/infer", j({"inputs": []}), "application/json", {}, 404,
     None, None),
    ("oip_unknown_output", "table", "POST", "/v2/models/table_model/infer",
     j({"inputs": [{"name": k, "shape": [1], "datatype": "BOOL" if k == "member" else "BYTES" if k == "city" else "FP64",
                    "data": [v]} for k, v in GOOD.items()], "outputs": [{"name": SECRET}]}), "application/json", {},
     400, None, None),
    ("tensor_wrong_length", "pixels", "POST", "/predict", j({"instances": [[1] * 16, [1] * 15]}), "application/json",
     {}, 400, "input", 2),
    ("tensor_holds_strings", "pixels", "POST", "/predict", j({"instances": [[SECRET] * 16]}), "application/json", {},
     400, "input", 1),
    ("tensor_holds_null", "pixels", "POST", "/predict", j({"instances": [[None] * 16]}), "application/json", {}, 400,
     "input", 1),
    ("tensor_holds_booleans", "pixels", "POST", "/predict", j({"instances": [[True] * 16]}), "application/json", {},
     400, "input", 1),
    ("text_as_number", "text", "POST", "/predict", j([{"body": 12345}]), "application/json", {}, 400, "body", 1),
    ("image_route_for_a_table_model", "table", "POST", "/predict", b"\x89PNG" + SECRET.encode(), "image/png", {}, 415,
     None, None),
]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve_malformed")
    return {"table": train_table(folder, n=200), "pixels": train_pixels(folder), "text": train_text(folder, n=120)}


async def _send(models, model, method, path, body, content_type, options):
    app = started_app(models[model], max_rows=20, body_timeout_s=0.5)
    await app.startup()
    try:
        return await call(app, method, path, body if body is not None else b"", content_type=content_type, **options)
    finally:
        await app.shutdown()


@pytest.mark.parametrize(("model", "method", "path", "body", "content_type", "options", "status", "field", "row"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_malformed_request_gets_a_one_line_4xx_naming_field_and_row(models, model, method, path, body, content_type,
                                                                    options, status, field, row):
    response = asyncio.run(_send(models, model, method, path, body, content_type, options))
    assert response.status == status, response.body
    assert response.headers["content-type"] == "application/json"
    assert b"\n" not in response.body and SECRET.encode() not in response.body
    error = response.json()
    assert isinstance(error["error"], str) and error["error"]
    assert error.get("field") == field and error.get("row") == row
    if status in (429, 503):
        assert response.headers["retry-after"] == "1"


def test_there_are_at_least_forty_kinds_of_malformed_request():
    assert len(CASES) >= 40 and len({case[0] for case in CASES}) == len(CASES)


def test_an_unknown_category_is_not_an_error_but_the_unknown_column(models):
    """The model's policy for categories never seen in training (the ``<unknown>`` column), not a 4xx."""
    async def scenario():
        app = started_app(models["table"])
        await app.startup()
        known = await call(app, "POST", "/predict", j([rec(city="Lima")]), content_type="application/json")
        unknown = await call(app, "POST", "/predict", j([rec(city="Atlantis")]), content_type="application/json")
        missing = await call(app, "POST", "/predict", j([rec(city=None)]), content_type="application/json")
        await app.shutdown()
        return known, unknown, missing

    known, unknown, missing = asyncio.run(scenario())
    assert known.status == unknown.status == missing.status == 200
    assert known.json()["predictions"] != unknown.json()["predictions"]


def test_a_full_queue_answers_429_with_retry_after(models):
    async def scenario():
        app = started_app(models["table"], max_queue=1)
        await app.startup()
        app.batcher.task.cancel()  # nobody consumes: the first request waits, the second finds the queue full
        first = asyncio.ensure_future(call(app, "POST", "/predict", j([rec()]), content_type="application/json"))
        await asyncio.sleep(0.05)
        second = await call(app, "POST", "/predict", j([rec(age=3.0)]),
                            content_type="application/json")
        first.cancel()
        return second

    response = asyncio.run(scenario())
    assert response.status == 429 and response.headers["retry-after"] == "1"
    assert response.json() == {"error": "the queue holds 1 requests already."}


def test_a_request_past_its_deadline_answers_503(models):
    async def scenario():
        app = started_app(models["table"])
        await app.startup()
        app.batcher.task.cancel()
        pending = asyncio.ensure_future(call(app, "POST", "/predict", j([rec()]), content_type="application/json",
                                             headers={"x-deadline-ms": "1"}))
        await asyncio.sleep(0.05)
        app.batcher.start()  # the consumer comes back after the deadline passed
        return await pending

    response = asyncio.run(scenario())
    assert response.status == 503 and response.json() == {"error": "the request waited past its deadline."}


def test_not_ready_answers_503(models):
    async def scenario():
        app = started_app(models["table"])
        return await call(app, "POST", "/predict", j([rec()]), content_type="application/json")

    response = asyncio.run(scenario())
    assert response.status == 503 and response.headers["retry-after"] == "1"


def test_image_bodies_reach_an_image_model(tmp_path):
    from tests.runtime_helpers import train_images

    model_dir = train_images(tmp_path)
    png = next((tmp_path / "images" / "red").glob("*.png")).read_bytes()

    async def scenario():
        app = started_app(model_dir)
        await app.startup()
        good = await call(app, "POST", "/predict", png, content_type="image/png")
        as_json = await call(app, "POST", "/predict", j({"instances": [base64.b64encode(png).decode()]}),
                             content_type="application/json")
        garbage = await call(app, "POST", "/predict", b"\x89PNG" + SECRET.encode(), content_type="image/png")
        not_base64 = await call(app, "POST", "/predict", j({"instances": [SECRET + "!"]}),
                                content_type="application/json")
        return good, as_json, garbage, not_base64

    good, as_json, garbage, not_base64 = asyncio.run(scenario())
    assert good.status == as_json.status == 200
    assert good.json()["predictions"] == as_json.json()["predictions"]
    for bad in (garbage, not_base64):
        assert bad.status == 400 and SECRET.encode() not in bad.body
        assert bad.json()["field"] == "image" and bad.json()["row"] == 1

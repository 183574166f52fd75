"""The server over real loopback sockets (uvicorn in a child process): the same probabilities as the numpy runtime,
onnxruntime and the torch path for every body format, huge and slow bodies refused, hot reload on SIGHUP, graceful drain on
SIGTERM, metrics, OpenAPI, and the safe defaults."""

from __future__ import annotations

import io
import json
import shutil
import signal
import socket
import threading
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from multiclass import data
from multiclass.export import onnx_inputs
from multiclass.export.predict import onnx_session
from multiclass.persistence import load_model
from multiclass.runtime import load_runtime
from multiclass.runtime.inputs import csv_columns
from multiclass.serve import ServeConfig
from tests.runtime_helpers import table_frame, train_pixels, train_table
from tests.serve_helpers import http, running_server

torch.set_num_threads(1)

FIELDS = ["age", "income", "constant", "member", "city"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("serve_http")


@pytest.fixture(scope="module")
def table_model(folder):
    return train_table(folder, n=300)


@pytest.fixture(scope="module")
def server(table_model):
    with running_server(table_model, body_timeout_s=1.0) as (base, process):
        yield base


@pytest.fixture(scope="module")
def rows(folder):
    frame = table_frame(64, seed=21)[FIELDS]
    frame.loc[5, "city"] = "Atlantis"
    return frame


def _probs(answer, classes):
    return np.array([[row["probabilities"][c] for c in classes] for row in answer["predictions"]])


def test_server_runtime_and_torch_agree_on_every_body_format(server, table_model, rows, folder):
    runtime = load_runtime(table_model)
    classes = runtime.classes
    csv_text = rows.to_csv(index=False)
    expected = runtime.predict(csv_columns(csv_text))
    path = folder / "rows.csv"
    path.write_text(csv_text)
    trained = load_model(table_model)
    dataset = data.load_for_prediction(path, trained.preprocessor, classes=trained.classes, with_labels=False)
    torch_probs = trained.predict_proba(dataset.X)
    onnx_probs, onnx_labels = onnx_session(runtime).run(None, onnx_inputs(runtime, csv_columns(csv_text)))
    np.testing.assert_allclose(onnx_probs, torch_probs, rtol=0, atol=1e-6)

    records = json.loads(rows.assign(member=rows["member"].map({"True": True, "False": False})).to_json(
        orient="records"))
    parquet = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), parquet)
    arrow = io.BytesIO()
    table = pa.Table.from_pandas(rows, preserve_index=False)
    with pa.ipc.new_stream(arrow, table.schema) as writer:
        writer.write_table(table)
    bodies = {
        "records": (json.dumps(records).encode(), "application/json"),
        "wrapped": (json.dumps({"records": records}).encode(), "application/json"),
        "columns": (json.dumps({"columns": {k: [r[k] for r in records] for k in FIELDS}}).encode(),
                    "application/json"),
        "csv": (csv_text.encode(), "text/csv"),
        "parquet": (parquet.getvalue(), "application/vnd.apache.parquet"),
        "arrow": (arrow.getvalue(), "application/vnd.apache.arrow.stream"),
    }
    for name, (body, content_type) in bodies.items():
        answer = http("POST", f"{server}/predict", body, content_type)
        assert answer.status == 200, (name, answer.body)
        probs = _probs(answer.json(), classes)
        np.testing.assert_allclose(probs, expected.probs, rtol=0, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(probs, torch_probs, rtol=0, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(probs, onnx_probs, rtol=0, atol=1e-6, err_msg=name)
        labels = [row["label"] for row in answer.json()["predictions"]]
        assert labels == runtime.labels(expected.codes).tolist()
        assert answer.json()["model_version"] == runtime.version == answer.headers["x-model-version"]

    infer = {"inputs": [{"name": k, "shape": [len(records)],
                         "datatype": {"member": "BOOL", "city": "BYTES"}.get(k, "FP64"),
                         "data": [r[k] for r in records]} for k in FIELDS]}
    answer = http("POST", f"{server}/v2/models/table_model/infer", json.dumps(infer).encode())
    assert answer.status == 200, answer.body
    outputs = {o["name"]: o for o in answer.json()["outputs"]}
    np.testing.assert_allclose(np.reshape(outputs["probabilities"]["data"], (-1, len(classes))), torch_probs,
                               rtol=0, atol=1e-6)
    assert outputs["label"]["data"] == runtime.labels(expected.codes).tolist()


def test_a_100_mb_body_is_refused_before_it_is_read(server):
    with socket.create_connection(("127.0.0.1", int(server.rsplit(":", 1)[1])), timeout=20) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        sent = [0]

        def sender():  # 100 MB in 1 MB chunks, until the server hangs up
            chunk = b" " * 2**20
            try:
                while sent[0] < 100 * 2**20:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent[0] += len(chunk)
            except OSError:
                pass

        thread = threading.Thread(target=sender, daemon=True)
        thread.start()
        answer = b""
        while b"\r\n\r\n" not in answer:
            piece = sock.recv(65536)
            if not piece:
                break
            answer += piece
        sent_when_answered = sent[0]
        thread.join(timeout=20)
    # answered as soon as the limit (16 MiB) was passed, long before the 100 MB were sent
    assert answer.startswith(b"HTTP/1.1 413") and sent_when_answered < 50 * 2**20


def test_a_slow_body_gets_408(server):
    with socket.create_connection(("127.0.0.1", int(server.rsplit(":", 1)[1])), timeout=10) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000\r\n\r\n[")
        started = time.monotonic()
        answer = b""
        for _ in range(10):  # one byte every 0.3 s: the body would take 300 s
            try:
                sock.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.3)
            sock.settimeout(0.01)
            try:
                answer += sock.recv(65536)
            except TimeoutError:
                pass
            if answer:
                break
        sock.settimeout(10)
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 5


def test_metrics_count_requests_classes_and_rejections(server):
    """Reads the counters of this module's earlier requests on the one server (a 200, a 413): run the module whole,
    as CI's `--dist loadfile` does."""
    http("POST", f"{server}/predict", b"nope", "text/plain")
    text = http("GET", f"{server}/metrics").body.decode()
    assert 'multiclass_requests_total{route="/predict",status="200"}' in text
    assert 'multiclass_requests_total{route="/predict",status="415"} ' in text
    assert "multiclass_predictions_total{class=" in text
    assert 'multiclass_rejected_requests_total{reason="too_large"}' in text
    assert 'multiclass_request_duration_seconds_bucket{route="/predict",le="+Inf"}' in text
    assert "multiclass_abstentions_total 0" in text


def test_openapi_and_metadata_publish_the_schema(server):
    document = http("GET", f"{server}/openapi.json").json()
    record = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]
    assert record["items"]["required"] == FIELDS
    assert record["items"]["properties"]["member"] == {"anyOf": [{"type": "boolean"}, {"type": "null"}]}
    metadata = http("GET", f"{server}/v2/models/table_model").json()
    assert [f["name"] for f in metadata["parameters"]["fields"]] == FIELDS
    city = next(f for f in metadata["parameters"]["fields"] if f["name"] == "city")
    assert city["type"] == "category" and "Lima" in city["categories"]
    assert http("GET", f"{server}/v2/health/live").json() == {"live": True}
    assert http("GET", f"{server}/v2").json()["name"] == "multiclass"


def test_loopback_is_the_default_and_bad_settings_are_refused(table_model):
    assert ServeConfig(str(table_model)).host == "127.0.0.1"
    from multiclass.exceptions import ConfigError

    with pytest.raises(ConfigError, match=r"`host` must be an IP address or 'localhost'; got 'http://x'\."):
        ServeConfig(str(table_model), host="http://x")
    with pytest.raises(ConfigError, match=r"`max_queue` must be an integer >= 1; got 0\."):
        ServeConfig(str(table_model), max_queue=0)


def test_sighup_swaps_the_model_and_sigterm_drains(folder, table_model):
    live = folder / "live_model"
    shutil.copytree(table_model, live)
    other = train_pixels(folder)  # a different model to swap in: its answers come from another version
    body = json.dumps([{"age": 40.0, "income": 900.0, "constant": 1.0, "member": False, "city": "Quito"}]).encode()
    with running_server(live) as (base, process):
        before = http("POST", f"{base}/predict", body)
        assert before.status == 200
        replacement = folder / "replacement"
        shutil.copytree(train_table(folder, n=300, name="retrained", hidden=(4,)), replacement)
        shutil.rmtree(live)
        shutil.copytree(replacement, live)
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while http("POST", f"{base}/predict", body).json()["model_version"] == before.json()["model_version"]:
            assert time.monotonic() < deadline, "the model was not swapped"
            time.sleep(0.05)
        after = http("POST", f"{base}/predict", body)
        assert after.status == 200 and after.json()["model_version"] == load_runtime(live).version
        shutil.rmtree(live)
        shutil.copytree(other, live)  # an incompatible model is still a valid one: swapped too
        (live / "model.json").write_text("{}")  # ... but a damaged one is refused and the old one kept
        process.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        assert http("POST", f"{base}/predict", body).json()["model_version"] == after.json()["model_version"]

        results = []

        def client():
            for _ in range(20):
                try:
                    results.append(http("POST", f"{base}/predict", body).status)
                except OSError:
                    results.append("refused")

        thread = threading.Thread(target=client)
        thread.start()
        time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        thread.join()
        # uvicorn drains, runs the lifespan shutdown (our "stopped" event), then re-raises SIGTERM on itself
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        events = [json.loads(line) for line in process.stderr.read().decode().splitlines() if line.startswith("{")]
        assert [e["event"] for e in events] == ["ready", "reloaded", "reload_failed", "stopped"]
        answered = [r for r in results if r != "refused"]
        assert answered and set(answered) == {200}  # requests either finished or were never accepted
        assert results == answered + ["refused"] * (len(results) - len(answered))


def test_multiclass_serve_refuses_a_damaged_model_before_opening_a_port(tmp_path):
    import subprocess
    import sys

    from tests.serve_helpers import SRC

    done = subprocess.run([sys.executable, "-m", "multiclass", "serve", str(tmp_path / "missing")], capture_output=True,
                          text=True, env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "not a model directory" in done.stderr
    assert "Traceback" not in done.stderr

"""Prometheus metrics of the server, in the text exposition format (version 0.0.4), without a client library:
request latency histogram, requests by route and status, predictions by class, abstentions, rejected requests by
reason, queue depth, batches and the model version."""

from __future__ import annotations

import bisect
import collections

__all__ = ["Metrics"]

# Latency buckets in seconds: the goals are p50 <= 1 ms and p99 <= 5 ms, so the fine buckets sit there.
BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Counters updated by the app (one event loop per process: no locks needed)."""

    def __init__(self) -> None:
        self.requests: collections.Counter = collections.Counter()  # (route, status) -> n
        self.latency = {}  # route -> [bucket counts..., +Inf], sum
        self.predictions: collections.Counter = collections.Counter()  # class -> n
        self.rejected: collections.Counter = collections.Counter()  # reason -> n
        self.abstentions = 0

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests[(route, status)] += 1
        counts, total = self.latency.get(route, ([0] * (len(BUCKETS) + 1), 0.0))
        counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.latency[route] = (counts, total + seconds)

    def render(self, *, model: str, version: str, queue: int, batches: int, rows: int) -> bytes:
        lines = [
            "# HELP multiclass_request_duration_seconds Time from the request's start to its response.",
            "# TYPE multiclass_request_duration_seconds histogram",
        ]
        for route, (counts, total) in sorted(self.latency.items()):
            cumulative = 0
            for bound, count in zip((*BUCKETS, "+Inf"), counts):
                cumulative += count
                lines.append(f'multiclass_request_duration_seconds_bucket{{route="{route}",le="{bound}"}} {cumulative}')
            lines.append(f'multiclass_request_duration_seconds_sum{{route="{route}"}} {total:.9f}')
            lines.append(f'multiclass_request_duration_seconds_count{{route="{route}"}} {cumulative}')
        lines += ["# HELP multiclass_requests_total Requests answered, by route and status.",
                  "# TYPE multiclass_requests_total counter"]
        lines += [f'multiclass_requests_total{{route="{r}",status="{s}"}} {n}'
                  for (r, s), n in sorted(self.requests.items())]
        lines += ["# HELP multiclass_predictions_total Rows predicted, by decided class.",
                  "# TYPE multiclass_predictions_total counter"]
        lines += [f'multiclass_predictions_total{{class="{_label(c)}"}} {n}' for c, n in sorted(self.predictions.items())]
        lines += ["# HELP multiclass_abstentions_total Rows on which the model abstained (conformal set not a "
                  "single class).", "# TYPE multiclass_abstentions_total counter",
                  f"multiclass_abstentions_total {self.abstentions}"]
        lines += ["# HELP multiclass_rejected_requests_total Requests refused, by reason.",
                  "# TYPE multiclass_rejected_requests_total counter"]
        lines += [f'multiclass_rejected_requests_total{{reason="{r}"}} {n}' for r, n in sorted(self.rejected.items())]
        lines += ["# HELP multiclass_queue_depth Requests waiting for the batcher.", "# TYPE multiclass_queue_depth gauge",
                  f"multiclass_queue_depth {queue}",
                  "# HELP multiclass_batches_total Network calls of the micro-batcher.",
                  "# TYPE multiclass_batches_total counter", f"multiclass_batches_total {batches}",
                  "# HELP multiclass_batched_rows_total Rows through the network.",
                  "# TYPE multiclass_batched_rows_total counter", f"multiclass_batched_rows_total {rows}",
                  "# HELP multiclass_model_info The model being served.", "# TYPE multiclass_model_info gauge",
                  f'multiclass_model_info{{name="{_label(model)}",version="{version}"}} 1']
        return ("\n".join(lines) + "\n").encode()

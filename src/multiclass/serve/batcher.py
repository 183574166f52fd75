"""The adaptive micro-batcher: requests' features wait in a bounded queue; one task takes everything waiting (up to
``max_batch`` rows), runs the network once per model version, and answers each request with its rows.

It never waits for a batch to fill: an idle queue is answered at once (batch of one), and under load the batch
is whatever arrived while the previous one ran, so its size follows the load. A full queue refuses at once
(`QueueFull`, answered 429); a request whose deadline passed while it waited is answered `DeadlineExceeded`
(503) instead of being computed. Items carry the model they were featurized with, so a hot reload never mixes two
versions in one answer.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field

import numpy as np

from multiclass.runtime import Prediction, RuntimeModel

__all__ = ["Batcher", "DeadlineExceeded", "QueueFull"]


class QueueFull(Exception):
    """The queue holds ``max_queue`` requests already."""


class DeadlineExceeded(Exception):
    """The request waited past its deadline."""


@dataclass(eq=False)
class _Item:
    model: RuntimeModel
    X: np.ndarray  # (n, n_features) float32
    deadline: float  # loop time
    future: asyncio.Future = field(repr=False)


class Batcher:
    """Queue + one consumer task. Use `submit` from request handlers; `start` / `drain` from the lifespan.

    Parameters
    ----------
    max_batch : int
        Most rows per network call (a single larger request still runs, alone).
    max_queue : int
        Most requests waiting.
    """

    def __init__(self, max_batch: int, max_queue: int) -> None:
        self.max_batch, self.max_queue = max_batch, max_queue
        self.queue: collections.deque[_Item] = collections.deque()
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.batches = self.rows = 0

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def drain(self) -> None:
        """Answer what is queued, then stop the consumer."""
        while self.queue:
            await asyncio.sleep(0.001)
        if self.task is not None:
            self.task.cancel()

    def submit(self, model: RuntimeModel, X: np.ndarray, deadline: float) -> asyncio.Future:
        """A future of the `Prediction` of rows X (n, n_features) by `model`.

        Raises
        ------
        QueueFull
        """
        if len(self.queue) >= self.max_queue:
            raise QueueFull()
        future = asyncio.get_running_loop().create_future()
        self.queue.append(_Item(model, X, deadline, future))
        self.wakeup.set()
        return future

    def _take(self) -> list[_Item]:
        """The oldest items, up to max_batch rows (at least one item)."""
        batch, rows = [self.queue.popleft()], 0
        rows = len(batch[0].X)
        while self.queue and rows + len(self.queue[0].X) <= self.max_batch:
            item = self.queue.popleft()
            batch.append(item)
            rows += len(item.X)
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self.queue:
                self.wakeup.clear()
                await self.wakeup.wait()
            batch = self._take()
            now = loop.time()
            live = []
            for item in batch:
                if item.future.done():  # the client went away
                    continue
                if now > item.deadline:
                    item.future.set_exception(DeadlineExceeded())
                else:
                    live.append(item)
            for model in {id(i.model): i.model for i in live}.values():  # one network call per model version
                items = [i for i in live if i.model is model]
                self._predict(model, items)
            await asyncio.sleep(0)  # let the handlers answer before the next batch

    def _predict(self, model: RuntimeModel, items: list[_Item]) -> None:
        X = items[0].X if len(items) == 1 else np.concatenate([i.X for i in items])  # (rows, n_features)
        try:
            prediction = model.predict_features(X)
        except Exception as error:  # noqa: BLE001 - handed to each waiting request, answered 500 there
            for item in items:
                item.future.set_exception(error)
            return
        self.batches, self.rows = self.batches + 1, self.rows + len(X)
        start = 0
        for item in items:
            stop = start + len(item.X)
            item.future.set_result(Prediction(prediction.log_probs[start:stop], prediction.probs[start:stop],
                                              prediction.codes[start:stop]))
            start = stop

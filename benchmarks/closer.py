"""Closing sessions through the MaxSize inlet's SNS topic, one message per visitor or in batches.

A protected site tells the MaxSize inlet who left by publishing `{"completed": [RID, ...]}`. The
message carries a list so a busy site can report every session that closed in the last moment at
once; `--close-every` sets that moment. Batching costs a visitor at most that long before the
inlet hears of it, and spares the inlet one invocation (an active-token read and an increment)
per visitor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

# The MaxSize inlet refuses messages naming more sessions than this.
MAX_IDS_PER_MESSAGE = 1000

Publish = Callable[[dict[str, Any]], Awaitable[bool]]


class BatchingCloser:
    """`await close(rid)` returns once a message naming `rid` was published (True) or failed."""

    def __init__(self, publish: Publish, every_s: float) -> None:
        self._publish = publish
        self._every_s = every_s
        self._pending: list[tuple[str, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None
        self.messages = 0

    async def close(self, request_id: str) -> bool:
        if self._every_s <= 0:
            self.messages += 1
            return await self._publish({"completed": [request_id]})
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((request_id, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._flush_later())
        return await future

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._every_s)
        await self.flush()

    async def flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_IDS_PER_MESSAGE], self._pending[MAX_IDS_PER_MESSAGE:]
            self.messages += 1
            ok = await self._publish({"completed": [rid for rid, _ in batch]})
            for _, future in batch:
                if not future.done():
                    future.set_result(ok)

    async def aclose(self) -> None:
        """Publishes what is pending and stops the timer."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()

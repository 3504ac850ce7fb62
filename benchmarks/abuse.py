"""`vwr load --abuse ...`: an abusive client beside the honest crowd (docs/SECURITY.md, scalping).

One client, from the simulator's one address, enters as fast as `--abuse-concurrency` requests in
flight allow, for `--abuse-seconds` from the start of the run:

- `--abuse plain`: entries without any proof of work (a script that ignores the page);
- `--abuse solve`: it solves each challenge (Python's hashlib, one core), paying the price;
- `--abuse reuse`: it solves one challenge and posts the solution with every entry.

Afterwards it asks `/queue_num` for each of its entries, and the report says how many positions it
got, how many entries the door (the WAF's 429, a 4xx) or the worker (410 `proof_of_work`) refused,
and how far it pushed honest visitors back: for each honest visitor, the abuser's positions ahead
of theirs, and that many places in seconds at the self inlet's rate.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from benchmarks.client import Api
from lambdas.waiting_room.proof_of_work import solve

MODES = ("plain", "solve", "reuse")
RESOLVE_SECONDS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("an abusive client beside the crowd (benchmarks/abuse.py)")
    group.add_argument("--abuse", choices=MODES, help="run one abusive client: plain, solve or reuse")
    group.add_argument("--abuse-seconds", type=float, default=5.0, help="how long it keeps entering")
    group.add_argument("--abuse-concurrency", type=int, default=8, help="its requests in flight")


async def solved_proof(api: Api, event_id: str) -> dict[str, str] | None:
    """What the page does before it enters: the proof of work, when the deployment asks for one."""
    answer = await api.public("GET", "/pow_challenge", params={"event_id": event_id})
    work = answer.json() if answer is not None and answer.status_code == 200 else {}
    if not work.get("difficulty"):
        return None
    nonce = await asyncio.to_thread(solve, work["challenge"], work["difficulty"])
    return {"challenge": work["challenge"], "nonce": nonce}


@dataclass
class Abuser:
    api: Api
    event_id: str
    mode: str
    seconds: float
    concurrency: int
    request_ids: list[str] = field(default_factory=list)
    door: dict[int, int] = field(default_factory=dict)  # status -> entries refused at the door
    positions: list[int] = field(default_factory=list)
    refused_later: dict[str, int] = field(default_factory=dict)  # reason -> entries without a place
    challenges_solved: int = 0
    _reused: dict[str, str] | None = None

    async def _proof(self) -> dict[str, str] | None:
        if self.mode == "plain" or (self.mode == "reuse" and self._reused):
            return self._reused
        proof = await solved_proof(self.api, self.event_id)
        self.challenges_solved += proof is not None
        if self.mode == "reuse":
            self._reused = proof
        return proof

    async def _enter_repeatedly(self, until: float) -> None:
        while time.monotonic() < until:
            proof = await self._proof()
            body: dict[str, Any] = {"event_id": self.event_id, **({"pow": proof} if proof else {})}
            answer = await self.api.public("POST", "/assign_queue_num", body=body)
            if answer is not None and answer.status_code == 200:
                self.request_ids.append(answer.json()["api_request_id"])
            elif answer is not None:
                self.door[answer.status_code] = self.door.get(answer.status_code, 0) + 1

    async def run(self) -> None:
        until = time.monotonic() + self.seconds
        await asyncio.gather(*(self._enter_repeatedly(until) for _ in range(self.concurrency)))

    async def resolve(self) -> None:
        """Each accepted entry's outcome: a position, or the reason it has none."""
        deadline = time.monotonic() + RESOLVE_SECONDS
        for request_id in self.request_ids:
            params = {"event_id": self.event_id, "request_id": request_id}
            while True:
                answer = await self.api.public("GET", "/queue_num", params=params)
                if answer is not None and answer.status_code == 200:
                    self.positions.append(int(answer.json()["queue_number"]))
                    break
                pending = answer is None or answer.status_code == 202
                if not pending or time.monotonic() > deadline:
                    reason = "still waiting" if pending else (answer.json() or {}).get("reason", "")
                    reason = reason or str(answer.status_code if answer is not None else "no answer")
                    self.refused_later[reason] = self.refused_later.get(reason, 0) + 1
                    break
                await asyncio.sleep(0.2)


def summarize(abuser: Abuser, honest_positions: list[int], inlet_per_s: float | None) -> dict[str, Any]:
    ahead = [sum(p < mine for p in abuser.positions) for mine in honest_positions]
    return {
        "mode": abuser.mode,
        "seconds": abuser.seconds,
        "entries_accepted": len(abuser.request_ids),
        "challenges_solved": abuser.challenges_solved,
        "refused_at_the_door": abuser.door,
        "positions": len(abuser.positions),
        "refused_by_the_worker": abuser.refused_later,
        "honest_visitors_pushed_back_mean": mean(ahead) if ahead else 0.0,
        "honest_visitors_pushed_back_max": max(ahead, default=0),
        "delay_s_mean": (mean(ahead) / inlet_per_s) if ahead and inlet_per_s else None,
        "position_list": sorted(abuser.positions),
    }


def markdown(summary: dict[str, Any]) -> str:
    abuse = summary.get("abuse") or {}
    if not abuse:
        return ""
    delay = abuse["delay_s_mean"]
    delay_text = f"{delay:.1f} s" if delay is not None else "n/a"
    pushed = f"{abuse['honest_visitors_pushed_back_mean']:.1f}, {abuse['honest_visitors_pushed_back_max']:,}"
    return "\n".join(
        [
            "",
            "## The abusive client",
            "",
            f"One client entering for {abuse['seconds']:g} s (`--abuse {abuse['mode']}`):",
            "",
            "| | |",
            "|---|---|",
            f"| entries the API accepted | {abuse['entries_accepted']:,} |",
            f"| proofs of work it solved | {abuse['challenges_solved']:,} |",
            f"| entries refused at the door, by status | {abuse['refused_at_the_door'] or 'none'} |",
            f"| positions it got | {abuse['positions']:,} |",
            "| accepted entries left without a position, by reason "
            f"| {abuse['refused_by_the_worker'] or 'none'} |",
            f"| its positions ahead of an honest visitor (mean, max) | {pushed} |",
            f"| the mean delay that makes at the inlet's rate | {delay_text} |",
            "",
        ]
    )

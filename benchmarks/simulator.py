"""`vwr load`: a burst of simulated visitors against a waiting room, and a report of how it held.

Visitors arrive as a Poisson process at `--rate` per second (exponential gaps, seeded), or evenly
spaced with `--arrivals uniform`. Each walks the waiting room page's journey (`benchmarks.visitor`).
Meanwhile the simulator samples the private `/counters` for the charts and, with
`--inlet self:N/s`, moves the serving counter itself through the signed private API.

With no endpoints given it starts a local runtime (`vwr local`) with call counting, so the report
also says what each visitor cost in AWS calls and Redis round trips. The run is bounded: every
visitor has a request budget and the whole run has `--max-seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from tqdm import tqdm

from benchmarks import abuse
from benchmarks.client import Api, Recorder
from benchmarks.closer import BatchingCloser
from benchmarks.report import write_report
from benchmarks.run import Run
from benchmarks.runtime import Endpoints, local_runtime
from benchmarks.visitor import Journey, JourneySettings, Visitor
from inlet_strategies.decisions import periodic_increment
from lambdas.catalog import POLL_SCHEDULE
from lambdas.waiting_room.state_keys import Keys

COUNTER_SAMPLE_SECONDS = 0.5
INLET_TICK_SECONDS = 0.25
CONTROL_CONNECTIONS = 4


@dataclass(frozen=True)
class Inlet:
    """Who moves the serving counter during the run.

    - `self:N/s`: the simulator, every tick, like the Periodic inlet's rule
      (new serving = min(serving, queue) + step), so slack never piles up ahead of the queue;
    - `periodic:N/Ss`: the simulator, a step of N places every S seconds, as the Periodic inlet
      moves the counter (once a minute, by its rule), so the line moves in steps;
    - `maxsize:M`: the MaxSize inlet alone. The simulator publishes `{"exited": M}` once (the site
      opens with M free places), then every session a visitor closes frees one place; a local
      runtime this command starts runs MaxSize with max size M;
    - `open:M`: one increment of M through the private API at the start, then the runtime's inlets;
    - `none`: the runtime's inlets only.

    Unless the inlet is `maxsize`, a local runtime this command starts runs MaxSize with max size
    0: it closes the sessions the visitors report and never moves the counter itself, so the
    counter moves only as the chosen inlet says.
    """

    kind: str
    amount: float = 0.0
    every_s: float = 0.0

    @classmethod
    def parse(cls, text: str) -> Inlet:
        if text == "none":
            return cls("none")
        if match := re.fullmatch(r"self:(\d+(?:\.\d+)?)/s", text):
            return cls("self", float(match[1]))
        if (match := re.fullmatch(r"periodic:(\d+)/(\d+(?:\.\d+)?)s", text)) and float(match[2]) > 0:
            return cls("periodic", float(match[1]), float(match[2]))
        if match := re.fullmatch(r"(open|maxsize):(\d+)", text):
            return cls(match[1], float(match[2]))
        raise argparse.ArgumentTypeError(
            f"--inlet must be self:N/s, periodic:N/Ss, maxsize:M, open:M or none, not {text!r}"
        )

    def runtime_args(self) -> list[str]:
        """How a local runtime started for this run is told about its inlet."""
        max_size = int(self.amount) if self.kind == "maxsize" else 0
        return ["--inlet", "max-size", "--inlet-max-size", str(max_size)]

    def describe(self) -> str:
        if self.kind == "self":
            return f"the simulator, {self.amount:g} positions/s (Periodic rule: min(serving, queue) + step)"
        if self.kind == "periodic":
            return f"the simulator, a step of {self.amount:g} places every {self.every_s:g} s (Periodic rule)"
        if self.kind == "maxsize":
            return f"the MaxSize inlet, max size {self.amount:g} (primed with exited={self.amount:g})"
        if self.kind == "open":
            return f"one increment of {self.amount:g} at the start, then the runtime's inlets"
        return "the runtime's inlets only"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="vwr load", description=__doc__.splitlines()[0])
    parser.add_argument("--visitors", type=int, default=1000, help="how many visitors arrive (default 1000)")
    parser.add_argument("--rate", type=float, default=100.0, help="arrivals per second (default 100)")
    parser.add_argument("--arrivals", choices=("poisson", "uniform"), default="poisson")
    parser.add_argument("--output", type=Path, default=Path("benchmarks/results/load"), help="report folder")
    parser.add_argument(
        "--inlet",
        type=Inlet.parse,
        default=Inlet("self", 100.0),
        help="self:N/s (default), periodic:N/Ss (N places every S seconds), maxsize:M, open:M, none",
    )
    parser.add_argument(
        "--close",
        choices=("auto", "sns", "private", "none"),
        default="auto",
        help="how sessions close: the MaxSize topic (sns), /update_session (private); "
        "auto picks sns when a topic is known",
    )
    parser.add_argument(
        "--close-every",
        type=float,
        default=0.5,
        help="seconds of closed sessions reported in one SNS message (0: one message per visitor)",
    )
    parser.add_argument(
        "--settle-seconds",
        type=float,
        default=30.0,
        help="after the last visitor, how long to wait for the inlet to close every session",
    )
    parser.add_argument(
        "--poll-near",
        type=int,
        default=POLL_SCHEDULE.near_ms,
        help="the page's near poll interval in ms (its `poll` setting); the far one scales with it "
        f"(default {POLL_SCHEDULE.near_ms})",
    )
    parser.add_argument("--dwell", type=float, default=0.0, help="seconds in the store before closing")
    parser.add_argument("--max-requests", type=int, default=400, help="request budget of each visitor")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="wall-time bound of the whole run")
    parser.add_argument("--connections", type=int, default=16, help="HTTP connections of the simulator")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reset", action="store_true", help="reset the event's state first (private API)")
    parser.add_argument("--no-progress", action="store_true")
    abuse.add_arguments(parser)
    target = parser.add_argument_group("target (default: start a local runtime)")
    target.add_argument("--runtime-json", type=Path, help="a file holding the READY json of `vwr local`")
    target.add_argument("--public-api")
    target.add_argument("--private-api")
    target.add_argument("--store-api")
    target.add_argument("--event-id")
    target.add_argument("--region", default="us-east-1")
    target.add_argument("--aws-endpoint")
    target.add_argument("--access-key-id")
    target.add_argument("--secret-access-key")
    target.add_argument("--max-size-topic-arn")
    target.add_argument(
        "--stats-api", help="a `local.stats` endpoint to count AWS calls and Redis round trips"
    )
    target.add_argument(
        "--runtime-arg",
        action="append",
        default=[],
        help="an argument for the local runtime this command starts, repeatable; write it with =, e.g. "
        "--runtime-arg=--pollers=4",
    )
    args = parser.parse_args(argv)
    if args.visitors < 1 or args.rate <= 0:
        parser.error("--visitors must be at least 1 and --rate positive")
    return args


def given_endpoints(args: argparse.Namespace) -> Endpoints | None:
    """The endpoints named on the command line, if any (a file first, flags override it)."""
    data: dict[str, Any] = {}
    if args.runtime_json:
        text = args.runtime_json.read_text().strip()
        data = json.loads(text[len("READY ") :] if text.startswith("READY ") else text)
    for name in (
        "public_api",
        "private_api",
        "store_api",
        "event_id",
        "aws_endpoint",
        "access_key_id",
        "secret_access_key",
        "max_size_topic_arn",
        "stats_api",
    ):
        if getattr(args, name):
            data[name] = getattr(args, name)
    if not data:
        return None
    data.setdefault("region", args.region)
    return Endpoints.from_json(data)


def arrival_times(count: int, rate: float, kind: str, rng: random.Random) -> list[float]:
    """Seconds after the start at which each visitor arrives."""
    if kind == "uniform":
        return [i / rate for i in range(count)]
    times, now = [], 0.0
    for _ in range(count):
        times.append(now)
        now += rng.expovariate(rate)
    return times


def close_mode(args: argparse.Namespace, endpoints: Endpoints) -> str:
    if args.close != "auto":
        return args.close
    return "sns" if endpoints.max_size_topic_arn and endpoints.aws_endpoint else "private"


class Simulation:
    def __init__(self, args: argparse.Namespace, endpoints: Endpoints) -> None:
        self.args = args
        self.endpoints = endpoints
        self.rng = random.Random(args.seed)
        self.recorder = Recorder()
        self.close = close_mode(args, endpoints)
        self.run = Run(args=self._describe_args(), endpoints=endpoints, visitors=[], recorder=self.recorder)
        self._sns: Any = None
        self.closer = BatchingCloser(self._publish, args.close_every)

    def _describe_args(self) -> dict[str, Any]:
        described = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(self.args).items()}
        described["inlet"] = self.args.inlet.describe()
        described["close"] = close_mode(self.args, self.endpoints)
        return {k: v for k, v in described.items() if k not in ("secret_access_key",)}

    # -- helpers over the private API --------------------------------------------------------------
    async def _counters(self, api: Api) -> dict[str, Any] | None:
        response = await api.private("GET", "/counters", params={"event_id": self.endpoints.event_id})
        if response is None or response.status_code != 200:
            return None
        return response.json()

    async def _stats(self, http: httpx.AsyncClient) -> dict[str, Any] | None:
        if not self.endpoints.stats_api:
            return None
        with contextlib.suppress(httpx.HTTPError, ValueError):
            return (await http.get(self.endpoints.stats_api)).json()
        return None

    async def _increment(self, api: Api, amount: int) -> bool:
        body = {"event_id": self.endpoints.event_id, "increment_by": amount}
        response = await api.private("POST", "/increment_serving_counter", body=body)
        ok = response is not None and response.status_code == 200
        if ok:
            self.run.self_increments += amount
            # Timed when sent: the counter moved between then and the answer.
            sent_at = response.extensions.get("sent_at", self.recorder.now())
            self.run.serving_moves.append((sent_at, int(response.json()["serving_num"])))
        return ok

    # -- closing sessions ------------------------------------------------------------------------
    async def _close(self, api: Api, request_id: str) -> bool:
        if self.close == "sns":
            return await self.closer.close(request_id)
        if self.close == "private":
            body = {"event_id": self.endpoints.event_id, "request_id": request_id, "status": 1}
            response = await api.private("POST", "/update_session", body=body)
            return response is not None and response.status_code == 200
        return False

    def _sns_client(self) -> Any:
        if self._sns is None:
            import boto3

            self._sns = boto3.client(
                "sns",
                region_name=self.endpoints.region,
                endpoint_url=self.endpoints.aws_endpoint,
                aws_access_key_id=self.endpoints.access_key_id,
                aws_secret_access_key=self.endpoints.secret_access_key,
            )
        return self._sns

    async def _publish(self, message: dict[str, Any]) -> bool:
        client = self._sns_client()
        sent = self.recorder.now()
        start = time.perf_counter()
        status = 200
        try:
            # boto3 is synchronous: a worker thread keeps the event loop polling meanwhile.
            await asyncio.to_thread(
                client.publish, TopicArn=self.endpoints.max_size_topic_arn, Message=json.dumps(message)
            )
        except Exception as error:  # botocore raises many types; every one is a failed close
            status = getattr(error, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        self.recorder.add("sns Publish (MaxSize)", status, sent, time.perf_counter() - start)
        return status == 200

    # -- background tasks ------------------------------------------------------------------------
    async def _sample_counters(self, api: Api, stop: asyncio.Event) -> None:
        while not stop.is_set():
            values = await self._counters(api)
            if values is not None:
                self.run.counters.append({"t": self.recorder.now(), **values})
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), COUNTER_SAMPLE_SECONDS)

    async def _self_inlet(self, api: Api, stop: asyncio.Event) -> None:
        # The step follows the clock, not the number of ticks, so a slow answer does not slow the
        # inlet down; but like the Periodic inlet it never catches up more than one second's
        # worth, or a stalled target would get a flood once it answers again.
        rate = self.args.inlet.amount
        last, owed = time.monotonic(), 0.0
        while not stop.is_set():
            now = time.monotonic()
            owed = min(owed + (now - last) * rate, max(rate, 1.0))
            last = now
            if owed >= 1:
                step = int(owed)
                owed -= step
                await self._step(api, step)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), INLET_TICK_SECONDS)

    async def _periodic_inlet(self, api: Api, stop: asyncio.Event) -> None:
        """A step every `every_s` seconds on the clock, like the Periodic inlet's scheduled runs."""
        step, every = int(self.args.inlet.amount), self.args.inlet.every_s
        next_at = time.monotonic() + every
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, next_at - time.monotonic()))
            if stop.is_set():
                return
            next_at += every
            await self._step(api, step)

    async def _step(self, api: Api, places: int) -> None:
        """Moves the serving counter up to `places`, as far as the line reaches (the Periodic rule)."""
        values = await self._counters(api)
        if values is not None:
            increment = periodic_increment(values["serving_counter"], values["queue_counter"], places)
            if increment > 0:
                await self._increment(api, increment)

    # -- the run ---------------------------------------------------------------------------------
    async def main(self) -> Run:
        limits = httpx.Limits(
            max_connections=self.args.connections, max_keepalive_connections=self.args.connections
        )
        timeout = httpx.Timeout(30.0)
        # The operator's calls (counters, inlet) get their own connections: queued behind the
        # visitors' polls they would sample late and move the counter late.
        async with (
            httpx.AsyncClient(limits=limits, timeout=timeout) as http,
            httpx.AsyncClient(
                limits=httpx.Limits(max_connections=CONTROL_CONNECTIONS), timeout=timeout
            ) as control_http,
        ):
            api = Api(self.endpoints, http, self.recorder, self.args.connections)
            control = Api(self.endpoints, control_http, self.recorder, CONTROL_CONNECTIONS)
            if self.args.reset:
                await control.private(
                    "POST", "/reset_initial_state", body={"event_id": self.endpoints.event_id}
                )
            self.run.counters_before = await self._counters(control) or {}
            # Warm the read path once so the counted calls include at most one cold start.
            await api.public("GET", "/serving_num", params={"event_id": self.endpoints.event_id})
            self.run.stats_before = await self._stats(control_http)
            self.run.load_before = os.getloadavg()[0]
            self.recorder.restart()
            cpu_before = time.process_time()
            await self._visitors(api, control)
            self.run.simulator_cpu_s = time.process_time() - cpu_before
            self.run.load_after = os.getloadavg()[0]
            # Let the inlets and the worker settle before the final counts.
            await asyncio.sleep(1.0)
            self.run.counters_after = await self._counters(control) or {}
            self.run.stats_after = await self._stats(control_http)
        self._read_arrival_stamps()
        return self.run

    def _read_arrival_stamps(self) -> None:
        """Each entry's arrival as the gateway stamped it (what positions follow), where Redis is known."""
        if not self.endpoints.redis_url:
            return
        visitors = [v for v in self.run.visitors if v.request_id]
        if not visitors:
            return
        client = redis.Redis.from_url(self.endpoints.redis_url, decode_responses=True)
        try:
            values = client.hmget(
                Keys(self.endpoints.event_id).positions, [v.request_id.lower() for v in visitors]
            )
        finally:
            client.close()
        for visitor, value in zip(visitors, values, strict=True):
            if value:
                visitor.stamped_at = int(value.split(":")[1]) / 1000 - self.recorder.started_wall

    async def _visitors(self, api: Api, control: Api) -> None:
        settings = JourneySettings(
            schedule=POLL_SCHEDULE.with_near(self.args.poll_near),
            max_requests=self.args.max_requests,
            dwell_s=self.args.dwell,
            close=self.close,  # type: ignore[arg-type]
        )
        journey = Journey(api, settings, lambda rid: self._close(api, rid), self.rng)
        times = arrival_times(self.args.visitors, self.args.rate, self.args.arrivals, self.rng)
        self.run.visitors = [Visitor(index=i, scheduled_at=t) for i, t in enumerate(times)]
        stop = asyncio.Event()
        background = [asyncio.create_task(self._sample_counters(control, stop))]
        if self.args.inlet.kind == "self":
            background.append(asyncio.create_task(self._self_inlet(control, stop)))
        if self.args.inlet.kind == "periodic":
            background.append(asyncio.create_task(self._periodic_inlet(control, stop)))
        abuser = abuse.Abuser(
            api,
            self.endpoints.event_id,
            self.args.abuse,
            self.args.abuse_seconds,
            self.args.abuse_concurrency,
        )
        if self.args.abuse:
            background.append(asyncio.create_task(abuser.run()))
        elif self.args.inlet.kind == "open":
            await self._increment(control, int(self.args.inlet.amount))
        elif self.args.inlet.kind == "maxsize":
            await self._publish({"exited": int(self.args.inlet.amount)})
        with self._progress() as bar:
            tasks = [
                asyncio.create_task(self._arrive(journey, visitor, bar)) for visitor in self.run.visitors
            ]
            _done, pending = await asyncio.wait(tasks, timeout=self.args.max_seconds)
            for task in pending:
                task.cancel()
            self.run.timed_out = bool(pending)
            await asyncio.gather(*pending, return_exceptions=True)
        await self.closer.aclose()
        self.run.close_messages = self.closer.messages
        self.run.duration_s = self.recorder.now()
        await self._settle(control)
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        if self.args.abuse:
            await abuser.resolve()
            inlet_rate = self.args.inlet.amount if self.args.inlet.kind == "self" else None
            honest = [v.position for v in self.run.visitors if v.position is not None]
            self.run.abuse = abuse.summarize(abuser, honest, inlet_rate)

    async def _settle(self, control: Api) -> None:
        """Waits (bounded) until the inlet has closed every session the visitors reported closed."""
        closed = sum(v.closed for v in self.run.visitors)
        before = int(self.run.counters_before.get("completed_counter", 0))
        deadline = time.monotonic() + self.args.settle_seconds
        while True:
            values = await self._counters(control)
            done = int(values["completed_counter"]) - before if values else 0
            self.run.sessions_closed_by_inlet = done
            if done >= closed or time.monotonic() >= deadline:
                break
            await asyncio.sleep(COUNTER_SAMPLE_SECONDS)
        self.run.settle_s = self.recorder.now() - self.run.duration_s

    async def _arrive(self, journey: Journey, visitor: Visitor, bar: tqdm) -> None:
        await asyncio.sleep(max(0.0, visitor.scheduled_at - self.recorder.now()))
        try:
            await journey.run(visitor)
        except asyncio.CancelledError:
            visitor.failure = "still waiting when --max-seconds ran out"
            raise
        finally:
            bar.update(1)
            bar.set_postfix(admitted=sum(v.admitted_at is not None for v in self.run.visitors), refresh=False)

    @contextlib.contextmanager
    def _progress(self) -> Iterator[tqdm]:
        bar = tqdm(total=self.args.visitors, unit="visitor", desc="journeys", disable=self.args.no_progress)
        try:
            yield bar
        finally:
            bar.close()


def simulate(args: argparse.Namespace, endpoints: Endpoints) -> Run:
    return asyncio.run(Simulation(args, endpoints).main())


def main(argv: list[str] | None = None) -> int:
    """`vwr load ...`: runs the burst, writes the report, returns 0 if every invariant held."""
    args = parse_args(argv)
    args.output.mkdir(parents=True, exist_ok=True)
    endpoints = given_endpoints(args)
    if endpoints is None:
        print("starting a local runtime (vwr local) ...", file=sys.stderr)
        runtime_args = [*args.inlet.runtime_args(), *args.runtime_arg]
        with local_runtime(runtime_args, log_path=args.output / "runtime.log") as started:
            run = simulate(args, started)
    else:
        run = simulate(args, endpoints)
    summary = write_report(run, args.output)
    print(summary["headline"])
    print(f"report: {args.output / 'report.md'}")
    return 0 if all(summary["invariants"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())

"""How many events one Periodic tick serves: a `vwr local` with N periodic events, one tick timed.

    python -m benchmarks.inlet_tick --events 300 --route-concurrency 16

The tick is `inlet_strategies.periodic.run` in this process against the runtime's private API
(SigV4 over HTTP, as in Lambda); the runtime's own timer is set to an hour so it does not tick
too. The first tick moves every event (two calls each), the second finds them idle (one call
each). The answer: events per second, and so how many one tick can start within the function's
timeout less the reserve it keeps.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor

from inlet_strategies import periodic
from inlet_strategies.event_inlets import PERIODIC, EventInlet
from lambdas.catalog import by_name
from lambdas.waiting_room.private_api import PrivateApiClient
from local.testing import Runtime, running_runtime


def register(runtime: Runtime, count: int) -> None:
    def create(number: int) -> None:
        body = {"event_id": f"bench-{number:04d}", "inlet": PERIODIC, "increment_by": 1}
        answer = runtime.signed("POST", runtime.private_api + "/events", json_body=body)
        assert answer.status_code == 201, answer.text

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(count)))


def timed_tick(config: periodic.PeriodicConfig, client: PrivateApiClient) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    outcome = periodic.run(config, client, now=time.time())
    return time.perf_counter() - started, outcome["counts"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events", type=int, default=300, help="periodic events registered besides the own one"
    )
    parser.add_argument("--route-concurrency", type=int, default=periodic.WORKERS)
    args = parser.parse_args()

    runtime_args = ["--inlet", "periodic", "--inlet-period", "3600"]
    runtime_args += ["--route-concurrency", str(args.route_concurrency)]
    with running_runtime(runtime_args) as runtime:
        register(runtime, args.events)
        client = PrivateApiClient(
            runtime.private_api,
            runtime.event_id,
            region=runtime.region,
            credentials=lambda: runtime.credentials,
        )
        config = periodic.PeriodicConfig(
            EventInlet(runtime.event_id, PERIODIC, increment_by=1), alarm_name=""
        )
        moving_seconds, moving = timed_tick(config, client)
        idle_seconds, idle = timed_tick(config, client)

    budget = by_name("PeriodicInlet").timeout_seconds - periodic.RESERVE_SECONDS
    events = args.events + 1
    print(
        json.dumps(
            {
                "events": events,
                "workers": periodic.WORKERS,
                "route_concurrency": args.route_concurrency,
                "moving_tick_seconds": round(moving_seconds, 2),
                "moving": moving,
                "idle_tick_seconds": round(idle_seconds, 2),
                "idle": idle,
                "moving_events_per_tick_budget": int(events / moving_seconds * budget),
                "budget_seconds": budget,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

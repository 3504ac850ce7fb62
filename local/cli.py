"""`vwr`: the project's command line.

    vwr local [--port 8080] [--event-id Sample] ...   the whole waiting room on this machine
    vwr load ...                                      the burst simulator (benchmarks.simulator,
                                                      registered in the `vwr.commands` entry points)

`vwr local` prints one line `READY <json>` on stdout once everything answers, then a banner, and
runs until Ctrl-C (SIGINT) or SIGTERM. Its logs, and the handlers' logs, go to stderr, so stdout
stays readable by a program.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from importlib import metadata
from typing import IO, Any

from lambdas.catalog import Setting
from local.options import Options, inlet_choices


def _setting(text: str) -> tuple[Setting, str]:
    name, sep, value = text.partition("=")
    try:
        setting = Setting(name.strip())
    except ValueError as error:
        known = ", ".join(s.value for s in Setting)
        raise argparse.ArgumentTypeError(f"unknown setting {name!r}; known: {known}") from error
    if not sep:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return setting, value


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def _local_parser(sub: Any) -> None:
    parser = sub.add_parser(
        "local",
        help="run the whole waiting room on this machine",
        description="Runs redis-server, a moto server, every API and both pages on one port.",
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="gateway port; 0 picks a free one (default 8080)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--url-host",
        help="host name in the URLs handed out, e.g. the machine's name with --host 0.0.0.0",
    )
    parser.add_argument(
        "--event-id", default="Sample", help="the event this waiting room serves (default Sample)"
    )
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--redis-url", help="use this Redis instead of starting a redis-server")
    parser.add_argument("--prefix", default="vwr", help="name prefix of the tables, queues and topics")
    parser.add_argument(
        "--inlet",
        choices=sorted(inlet_choices()),
        help="inlet strategy to run (default: none, the serving counter moves through the private API)",
    )
    parser.add_argument("--inlet-increment", type=int, help="positions the inlet lets in each time")
    parser.add_argument("--inlet-max-size", type=int, help="the MaxSize inlet's capacity")
    parser.add_argument("--inlet-period", type=_positive, help="seconds between Periodic inlet runs")
    parser.add_argument("--token-validity", type=int, help="seconds a token stays valid")
    parser.add_argument("--expiry-seconds", type=int, help="grace window of a served queue position, seconds")
    parser.add_argument("--no-expiry", action="store_true", help="queue positions never expire")
    parser.add_argument(
        "--schedule-seconds", type=_positive, help="run every scheduled job this often instead of each minute"
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        type=_setting,
        default=[],
        metavar="NAME=VALUE",
        help="any deployment setting of the wiring table, e.g. --set INCR_SERVING_ON_EXPIRY=true",
    )
    parser.add_argument(
        "--batch-size", type=int, help="queue worker batch size (default: the wiring table's)"
    )
    parser.add_argument("--batch-window", type=float, help="queue worker batching window, seconds")
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=5,
        help="seconds before an unfinished entry is redelivered (default 5; AWS uses minutes)",
    )
    parser.add_argument(
        "--pollers",
        type=int,
        default=2,
        help="concurrent queue pollers (default 2)",
    )
    parser.add_argument(
        "--queue-concurrency",
        type=int,
        default=10,
        help="batches in the queue worker at once, like the mapping's concurrent invocations (default 10)",
    )
    parser.add_argument(
        "--route-concurrency",
        type=int,
        default=1,
        help="invocations of one API function at a time (default 1, one warm container); more for load tests",
    )
    parser.add_argument(
        "--moto-process",
        action="store_true",
        help="run moto in a process of its own (a core of its own, for load)",
    )
    parser.add_argument(
        "--cache-seconds",
        type=_positive,
        help="keep CDN answers and authorizer decisions at most this long (tests: shorter waits; the "
        "READY line says the bounds in force)",
    )
    parser.add_argument(
        "--waf",
        action="store_true",
        help="imitate the stack's WAF rate rule on entries (per client address; off by default, since "
        "every local visitor shares one address)",
    )
    parser.add_argument("--access-key-id", help="the private API's access key id (default: random)")
    parser.add_argument("--secret-access-key", help="the private API's secret key (default: random)")
    parser.add_argument(
        "--oidc-redirect-uri", action="append", default=[], help="a redirect URI the OpenID client may use"
    )
    parser.add_argument("--oidc-client-secret", default="local-client-secret")
    parser.add_argument(
        "--protect",
        nargs="?",
        const="",
        metavar="URL",
        help="put the edge gate in front of URL (without one: a sample shop) on a port of its own; "
        "READY's `protected` is its address",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="log level of the runtime and the handlers (stderr)",
    )


def options_from(args: argparse.Namespace) -> Options:
    settings: dict[Setting, str] = {}
    shortcuts = {
        Setting.INLET_INCREMENT_BY: args.inlet_increment,
        Setting.INLET_MAX_SIZE: args.inlet_max_size,
        Setting.TOKEN_VALIDITY_SECONDS: args.token_validity,
        Setting.QUEUE_POSITION_EXPIRY_SECONDS: args.expiry_seconds,
        Setting.ENABLE_QUEUE_POSITION_EXPIRY: "false" if args.no_expiry else None,
    }
    settings.update({setting: str(value) for setting, value in shortcuts.items() if value is not None})
    # Explicit --set wins over a shortcut.
    settings.update(dict(args.settings))
    options = Options(
        host=args.host,
        url_host=args.url_host,
        port=args.port,
        event_id=args.event_id,
        region=args.region,
        redis_url=args.redis_url,
        prefix=args.prefix,
        settings=settings,
        inlet=args.inlet,
        schedule_seconds=args.schedule_seconds,
        inlet_period_seconds=args.inlet_period,
        batch_size=args.batch_size,
        batching_window_seconds=args.batch_window,
        cache_seconds=args.cache_seconds,
        visibility_timeout_seconds=args.visibility_timeout,
        pollers=args.pollers,
        queue_concurrency=args.queue_concurrency,
        moto_process=args.moto_process,
        waf=args.waf,
        route_concurrency=args.route_concurrency,
        oidc_redirect_uris=tuple(args.oidc_redirect_uri),
        oidc_client_secret=args.oidc_client_secret,
        log_level=args.log_level,
        protect=args.protect,
    )
    if args.access_key_id:
        options.access_key_id = args.access_key_id
    if args.secret_access_key:
        options.secret_access_key = args.secret_access_key
    return options


def banner(ready: dict[str, Any]) -> str:
    lines = [
        "",
        "The virtual waiting room runs on this machine.",
        f"  waiting room page  {ready['waiting_room']}",
        f"  control panel      {ready['control_panel']}",
        f"  public API         {ready['public_api']}",
        f"  private API        {ready['private_api']}   (SigV4, service execute-api, {ready['region']})",
        f"  store API          {ready['store_api']}   (Authorization: Bearer <access token>)",
        f"  OpenID adapter     {ready['oidc_api']}",
        *(
            [f"  protected site     {ready['protected']}   (through the edge gate)"]
            if ready.get("protected")
            else []
        ),
        f"  event id           {ready['event_id']}",
        f"  AWS endpoint       {ready['aws_endpoint']}   (moto)",
        f"  access key         {ready['access_key_id']} / {ready['secret_access_key']}",
        f"  MaxSize topic      {ready['max_size_topic_arn']}",
        f"  inlet strategy     {ready['inlet'] or 'none (move the serving counter from the control panel)'}",
    ]
    if ready["unavailable_functions"]:
        lines.append(f"  not loaded         {', '.join(ready['unavailable_functions'])} (see the log)")
    lines += ["Ctrl-C stops everything.", ""]
    return "\n".join(lines)


def run_local(options: Options, out: IO[str]) -> int:
    """Runs until SIGINT or SIGTERM; `out` gets the READY line and the banner."""
    from local.processes import ServiceFailed
    from local.runtime import LocalRuntime  # imported once stdout is redirected, see main()

    stopping = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stopping.is_set():
            # A second Ctrl-C: the user does not want to wait for a clean stop.
            os._exit(128 + signum)
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    runtime = LocalRuntime(options)
    try:
        # A port in use ends here too: werkzeug says so and exits, and start() stops what it started.
        try:
            ready = runtime.start()
        except ServiceFailed as error:
            print(f"vwr local: {error}", file=sys.stderr)
            return 1
        if not stopping.is_set():
            out.write("READY " + json.dumps(ready, separators=(",", ":")) + "\n")
            out.write(banner(ready) + "\n")
            out.flush()
            # Wake up now and then to notice a child service that died under us.
            while not stopping.wait(1.0):
                failure = runtime.failure()
                if failure:
                    logging.getLogger("vwr.local").error("%s: stopping", failure)
                    return 1
        logging.getLogger("vwr.local").warning("stopping")
        return 0
    finally:
        runtime.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# Other packages add `vwr` commands through this entry-point group (pyproject.toml): the burst
# simulator registers `vwr load` there, so the runtime does not depend on the benchmarks.
COMMAND_GROUP = "vwr.commands"


def plugin_commands() -> dict[str, metadata.EntryPoint]:
    return {entry.name: entry for entry in metadata.entry_points(group=COMMAND_GROUP)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vwr", description="The virtual waiting room's tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    _local_parser(sub)
    commands = plugin_commands()
    for name in commands:
        plugin = sub.add_parser(name, help=f"{commands[name].value} (installed separately)", add_help=False)
        plugin.add_argument("rest", nargs=argparse.REMAINDER)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] and arguments[0] in commands:
        return commands[arguments[0]].load()(arguments[1:]) or 0
    args = parser.parse_args(arguments)
    options = options_from(args)
    problem = options.problem()
    if problem:
        parser.error(problem)

    # stdout carries READY and the banner only: everything else that prints (the handlers'
    # Powertools logs and metrics, anything else) is sent to stderr before any of it is imported.
    out = sys.stdout
    sys.stdout = sys.stderr
    # Powertools loggers read their level when they are created, at import: set it first.
    os.environ["POWERTOOLS_LOG_LEVEL"] = args.log_level
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.log_level != "DEBUG":
        # The SDK says where it found each endpoint and credential at INFO: noise here.
        for chatty in ("botocore", "boto3", "urllib3"):
            logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        code = run_local(options, out)
    except KeyboardInterrupt:
        code = 130
    finally:
        sys.stdout = out
    # run_local stopped every service and thread: the interpreter's own teardown after that
    # (collecting moto's and the SDK's objects) only adds seconds to every stop, so skip it.
    logging.shutdown()
    out.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m local.moto_process`: moto's server in a process of its own (`vwr local --moto-process`).

In the runtime's own process moto shares one interpreter lock with the gateway and the handlers,
so the whole waiting room uses one core. In its own process moto uses another core, which is what
a load test wants. It prints `LISTENING <port>` once it accepts connections, and stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from typing import Any

from werkzeug.serving import make_server

from local.moto_tuning import serialize_dynamodb_writes, speed_up_sqs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.moto_process")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    speed_up_sqs()
    serialize_dynamodb_writes()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    server = make_server(
        args.host,
        args.port,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=MotoRequestHandler,
    )

    def on_term(_signum: int, _frame: Any) -> None:
        # serve_forever runs in this (main) thread: leave it through an exception.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    print(f"LISTENING {server.server_port}", flush=True)
    try:
        server.serve_forever()
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

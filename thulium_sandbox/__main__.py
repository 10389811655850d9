"""Command line: ``python -m thulium_sandbox [--host H] [--port P] [--fixture FILE]``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .server import SandboxServer
from .state import SandboxState

DEMO_FIXTURE = Path(__file__).parent / "fixtures" / "demo.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m thulium_sandbox", description="A fake Thulium API server."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--fixture", type=Path, default=DEMO_FIXTURE)
    parser.add_argument(
        "--log-size",
        type=int,
        default=10_000,
        help="how many API requests /_sandbox/requests keeps",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    try:
        fixture = json.loads(args.fixture.read_text(encoding="utf-8"))
        state = SandboxState(fixture)
    except (OSError, ValueError) as error:
        print(f"Cannot load the fixture {args.fixture}: {error}", file=sys.stderr)
        return 2
    try:
        server = SandboxServer(
            (args.host, args.port), state, log_size=args.log_size, verbose=args.verbose
        )
    except OSError as error:
        print(f"Cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    assert isinstance(host, str), "an IPv4 or IPv6 server's address is (host, port, ...)"
    # Tests and `make run` read this line to learn the port.
    print(f"Thulium sandbox listening on http://{host}:{port}/api/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

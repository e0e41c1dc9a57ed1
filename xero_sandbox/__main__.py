"""Command line: `python -m xero_sandbox --port 5055 --data var/xero.db --admin`."""
import argparse
import logging

from werkzeug.serving import run_simple

from . import create_app


def main(argv=None):
    """Run the sandbox on a threaded werkzeug server."""
    parser = argparse.ArgumentParser(prog="python -m xero_sandbox",
                                     description="A local Xero for development and tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--data", help="SQLite file to keep state in (default: memory)")
    parser.add_argument("--admin", action="store_true", help="mount the /_sandbox admin endpoints")
    parser.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris",
                        help="another redirect URI for sandbox-app (repeatable)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    app = create_app(args.data, admin=args.admin, redirect_uris=args.redirect_uris)
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()

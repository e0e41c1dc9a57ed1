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
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=VALUE",
                        help="play an unsettled Xero behaviour (repeatable; see README)")
    args = parser.parse_args(argv)
    variants = dict(item.partition("=")[::2] for item in args.variant)
    logging.basicConfig(level=logging.INFO)
    try:
        if "offline_seconds" in variants:
            variants["offline_seconds"] = float(variants["offline_seconds"])
        app = create_app(args.data, admin=args.admin, redirect_uris=args.redirect_uris,
                         variants=variants)
    except ValueError as error:
        parser.error(str(error))
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()

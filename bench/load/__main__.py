"""``python -m bench.load [--full] [--connections N ...] [--servers ...]``"""

import argparse
import sys

from . import SERVERS, default_settings, run


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("--full", action="store_true", help="the sweep N = 1,000, 5,000, 10,000")
    parser.add_argument("--connections", type=int, nargs="+", metavar="N")
    parser.add_argument("--servers", nargs="+", choices=SERVERS)
    parser.add_argument("--rounds", type=int, help="measure each pairing this often, keep the best")
    parser.add_argument("--measure", type=float, help="seconds per measured step")
    parser.add_argument("--search-steps", type=int)
    parser.add_argument(
        "--profile",
        help="cProfile our server (and the gateway process) during its closed-loop window,"
        " stats to this file",
    )
    args = parser.parse_args(argv)
    settings = default_settings(full=args.full)
    if args.connections:
        settings.connections = tuple(args.connections)
    if args.servers:
        settings.servers = tuple(args.servers)
    if args.rounds:
        settings.rounds = args.rounds
    if args.measure:
        settings.measure = args.measure
    if args.search_steps:
        settings.search_steps = args.search_steps
    run(settings, profile=args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

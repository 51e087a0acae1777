"""Command line of d1-test-node: build the corpus, serve it, exit cleanly on a signal."""

import argparse
import ipaddress
import os
import signal
import sys
import threading
import time

from .corpus import Corpus, default_fixtures_dir
from .faults import FaultError, parse_spec
from .server import NodeServer, add_startup_faults


def _loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_parser():
    p = argparse.ArgumentParser(
        prog="d1-test-node",
        description="Stand-in DataONE Coordinating Node (/cn) and member node (/mn) on loopback.")
    p.add_argument("--host", default="127.0.0.1",
                   help="loopback address to bind (default 127.0.0.1; only loopback allowed)")
    p.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    p.add_argument("--port-file", metavar="FILE", help="write the chosen port to FILE")
    p.add_argument("--log", metavar="FILE", help="append one JSON line per request to FILE")
    p.add_argument("--synthetic", type=int, metavar="N", default=None,
                   help="add N synthetic records (default 0; 1000 when fixtures are absent)")
    p.add_argument("--fixtures", metavar="DIR", default=None,
                   help="DataONE fixtures directory (default: $D1_FIXTURES, else "
                        "<repo>/../shared/fixtures/dataone)")
    p.add_argument("--no-fixtures", action="store_true",
                   help="ignore the fixtures: synthetic records only")
    p.add_argument("--fault", action="append", default=[], metavar="JSON",
                   help="install a fault at startup (same JSON as POST /_faults); repeatable")
    p.add_argument("--seed", type=int, default=1, help="seed of the synthetic records (default 1)")
    p.add_argument("--object-file", nargs=2, action="append", default=[], metavar=("PATH", "PID"),
                   help="serve the file PATH as the DATA object PID (streamed from disk, any "
                        "size); repeatable")
    p.add_argument("--object-file-algorithm", default="SHA-256",
                   choices=["MD5", "SHA-1", "SHA-256"],
                   help="checksum algorithm of --object-file system metadata (default SHA-256)")
    p.add_argument("--dot-pids", action="store_true",
                   help='also serve the objects "." and ".." (dot-segment identifiers)')
    p.add_argument("--replicas", type=int, default=1, metavar="N",
                   help="member nodes holding every object: /mn, /mn2 … /mnN, listed by "
                        "resolve in that order (default 1)")
    p.add_argument("--object-base-url", metavar="URL",
                   help="list URL/v2/object/{pid} first in resolve answers (a server of the "
                        "bytes alone, e.g. nginx; loopback only)")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not _loopback(args.host):
        print("d1-test-node: --host must be a loopback address, not %r" % args.host,
              file=sys.stderr)
        return 2
    if args.synthetic is not None and args.synthetic < 0:
        print("d1-test-node: --synthetic must be >= 0", file=sys.stderr)
        return 2
    try:
        specs = [parse_spec(s) for s in args.fault]
    except FaultError as e:
        print("d1-test-node: bad --fault: %s" % e, file=sys.stderr)
        return 2
    del specs
    if not 1 <= args.replicas <= 9:
        print("d1-test-node: --replicas must be 1 to 9", file=sys.stderr)
        return 2
    if args.object_base_url:
        from urllib.parse import urlsplit
        host = urlsplit(args.object_base_url).hostname or ""
        if not args.object_base_url.startswith("http://") or not _loopback(host):
            print("d1-test-node: --object-base-url must be an http:// URL on loopback",
                  file=sys.stderr)
            return 2
    for path, _pid in args.object_file:
        if not os.path.isfile(path):
            print("d1-test-node: --object-file %s is not a file" % path, file=sys.stderr)
            return 2
    fixtures = None if args.no_fixtures else (args.fixtures or default_fixtures_dir())
    t0 = time.monotonic()
    corpus = Corpus(fixtures, args.synthetic, args.seed,
                    object_files=[tuple(x) for x in args.object_file], dot_pids=args.dot_pids,
                    object_file_algorithm=args.object_file_algorithm)
    try:
        server = NodeServer(corpus, args.host, args.port, args.log, args.seed,
                            replicas=args.replicas, object_base_url=args.object_base_url)
    except OSError as e:
        print("d1-test-node: cannot listen on %s:%d: %s" % (args.host, args.port, e),
              file=sys.stderr)
        return 1
    add_startup_faults(server, args.fault)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % server.port)
        os.replace(tmp, args.port_file)
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    server.start()
    print("d1-test-node: %d objects ready in %.2f s" % (len(corpus.index.docs),
                                                        time.monotonic() - t0), file=sys.stderr)
    print("d1-test-node listening on %s" % server.base_url, flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs localstripe (PyPI) on 127.0.0.1 only, from scratch, on --port.

localstripe's own entry point listens on every interface; tests serve on
loopback only, so this starts the same aiohttp app bound to 127.0.0.1.
"""
import argparse
import logging

from aiohttp import web
from localstripe.resources import Store
from localstripe.server import app

# localstripe pickles its whole store to /tmp on every change; tests run
# several instances at once and never reload it.
Store.dump_to_disk = lambda self: None

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=8420)
args = parser.parse_args()
logger = logging.getLogger("aiohttp.access")
logger.setLevel(logging.INFO)
logger.addHandler(logging.StreamHandler())
web.run_app(app, host="127.0.0.1", port=args.port, access_log=logger, print=None)

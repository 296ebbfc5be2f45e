"""The portal's WSGI application, timed inside the worker (bench/load.py serves this one).

Each request's server time, from the worker calling the application to the last byte of its response, is appended
to BENCH_TIMING_LOG as "METHOD PATH STATUS MICROSECONDS": the client's queue and the listen backlog are not in it.
"""

import os
import time

from portal.wsgi import application as portal

LOG = open(os.environ["BENCH_TIMING_LOG"], "a", buffering=1)  # noqa: SIM115 (open for the worker's life)


def application(environ, start_response):
    began = time.perf_counter()
    status = []

    def start(line, headers, exc_info=None):
        status.append(line.split(" ", 1)[0])
        return start_response(line, headers, exc_info)

    result = portal(environ, start)
    try:
        yield from result
    finally:
        if hasattr(result, "close"):
            result.close()
        micros = int((time.perf_counter() - began) * 1_000_000)
        LOG.write(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} {status[0] if status else '000'} {micros}\n")

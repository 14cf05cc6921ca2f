#!/bin/sh
# The proxy function's start command: Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap)
# runs it, waits until the app answers on AWS_LWA_PORT, then hands it every invocation as an HTTP
# request and streams its answer back (AWS_LWA_INVOKE_MODE=response_stream). The dependencies are
# in Chalice's managed layer (/opt/python).
export PYTHONPATH="/opt/python/lib/python3.11/site-packages:/opt/python:${LAMBDA_TASK_ROOT}${PYTHONPATH:+:$PYTHONPATH}"
exec python -m uvicorn proxy_app:app --app-dir "${LAMBDA_TASK_ROOT}" --host 127.0.0.1 \
    --port "${AWS_LWA_PORT:-8080}" --no-access-log --timeout-graceful-shutdown 5

#!/usr/bin/env python3
"""The order workflow's shipping service: the "Lambda" its Shipping Service Callback task invokes.

The task is arn:aws:states:::lambda:invoke.waitForTaskToken with
FunctionName http://127.0.0.1:<SHIPPING_SERVICE_PORT>/shipping-service, so the
loan-processor POSTs the task's Payload here:
    {"token": "<task token>", "input": {"order_id": ..., ...}, "callback": "true"}
The service answers 202 at once (the task then shows TaskSubmitted) and, after
SHIPPING_DELAY_SECONDS, answers Step Functions with the AWS CLI:
    aws stepfunctions send-task-success --task-token <token> --task-output '{"tracking_number": "TRK-<order_id>"}'
A body without a token or an order_id gets 400 {"errorType": "InvalidShippingRequest", ...}: the task fails
with that error, as when a Lambda function throws.

Settings (environment): SHIPPING_SERVICE_PORT (8090), SHIPPING_DELAY_SECONDS (1),
SFN_ENDPOINT_URL and AWS_CLI (see worker-common.sh, which worker.sh sources).
"""

import http.server
import json
import os
import subprocess
import sys
import threading
import time


def log(text):
    print(f"[{time.strftime('%H:%M:%S')}] shipping-service: {text}", file=sys.stderr, flush=True)


def ship_and_call_back(token, order_id):
    """Ships the order, then sends the task its result through the AWS CLI."""
    time.sleep(float(os.environ.get("SHIPPING_DELAY_SECONDS", "1")))
    output = json.dumps({"tracking_number": f"TRK-{order_id}"})
    command = [os.environ.get("AWS_CLI", "aws"), "stepfunctions", "send-task-success",
               "--endpoint-url", os.environ.get("SFN_ENDPOINT_URL", "http://127.0.0.1:8080"),
               "--task-token", token, "--task-output", output]
    answered = subprocess.run(command, stdout=subprocess.DEVNULL).returncode == 0
    log(f"order {order_id} shipped: {'answered send-task-success' if answered else 'send-task-success was refused'}")


class ShippingHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"null")
            token, order_id = payload["token"], payload["input"]["order_id"]
        except (ValueError, KeyError, TypeError) as error:
            self.answer(400, {"errorType": "InvalidShippingRequest",
                              "errorMessage": f"a shipping request needs token and input.order_id ({error!r})"})
            return
        log(f"shipping order {order_id}")
        threading.Thread(target=ship_and_call_back, args=(token, order_id), daemon=True).start()
        self.answer(202, {"order_id": order_id, "status": "shipping"})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *arguments):
        pass


def main():
    port = int(os.environ.get("SHIPPING_SERVICE_PORT", "8090"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), ShippingHandler)
    log(f"listening on http://127.0.0.1:{port}/shipping-service")
    server.serve_forever()


if __name__ == "__main__":
    main()

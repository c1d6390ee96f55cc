"""A fake of the vendor's callback REST interfaces on 127.0.0.1, for the outputs of
`apply --yes` in .ci/validate: it keeps each app's callback configuration, applies
set/update/delete_callback to it, and refuses the apps it is told to.

    fake_vendor.py STATE.json PORT-FILE

STATE.json: {"<service>:<sdkappid>": {"Url": …, "CallbackCommandList": […]}, …,
"token:<sdkappid>": true|false (Live's signing), "refuse:<sdkappid>": <ErrorCode>}.
The port it listens on is written to PORT-FILE once it accepts connections.
"""

import http.server
import json
import sys
from urllib.parse import parse_qs, urlsplit


def envelope(code, info="", response=None):
    body = {"ErrorCode": code, "ErrorInfo": info, "ActionStatus": "OK" if code == 0 else "FAIL",
            "RequestId": f"Id-{code}-O-Seq-9"}
    if response is not None:
        body["Response"] = response
    return body


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        sdkappid = parse_qs(url.query).get("sdkappid", [""])[0]
        parts = url.path.strip("/").split("/")
        if len(parts) != 3 or not parts[1].endswith("_config"):
            return self.reply(404, None)
        service, interface = parts[1][: -len("_config")], parts[2]
        state, key = self.server.state, f"{service}:{sdkappid}"
        if f"refuse:{sdkappid}" in state:
            return self.reply(200, envelope(state[f"refuse:{sdkappid}"], "refused"))
        exists = state.get(key) is not None
        if interface == "get_callback":
            if exists:
                return self.reply(200, envelope(0, "", state[key]))
            return self.reply(200, envelope(100301, "callback config not exist"))
        if interface == "get_callback_token" and f"token:{sdkappid}" in state:
            return self.reply(200, envelope(0, "", {"Token": "fake-token",
                                                    "IsTokenEnable": state[f"token:{sdkappid}"]}))
        if interface == "set_callback" and (service == "call" or not exists):
            state[key] = body
        elif interface == "update_callback" and service != "call" and exists:
            state[key] = body
        elif interface == "delete_callback":
            state.pop(key, None)
        else:
            return self.reply(200, envelope(100300 if exists else 100301, "refused"))
        return self.reply(200, envelope(0))

    def reply(self, status, body):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    state_path, port_path = sys.argv[1], sys.argv[2]
    with open(state_path, encoding="utf-8") as state_file:
        state = json.load(state_file)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.state = state
    with open(port_path, "w", encoding="utf-8") as port_file:
        port_file.write(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()

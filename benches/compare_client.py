"""An independent client for the fleet benchmark (benches/fleet.rs): reads the callback
configuration of N apps from the fake vendor the way a careful script would, so that
cbcheck's CPU per app can be compared with it in the same run.

Each of C threads keeps one HTTP/1.1 connection alive and, per app, mints a UserSig,
sends `POST /v4/room_config/get_callback?...` and parses the JSON reply, checking the
URL and command list against what the fleet declares. The UserSig comes from the
vendor's official library (PyPI: tls-sig-api-v2, module TLSSigAPIv2) when it is
importable, else from the same algorithm written out below (HMAC-SHA256, JSON, zlib,
base64 with `+/=` as `*-_`).

usage: compare_client.py ENDPOINT N CONCURRENCY SECRET_KEY
Prints `signer=official|builtin`; exits 0 when every app is in sync.
"""

import base64
import hashlib
import hmac
import http.client
import json
import random
import sys
import threading
import time
import urllib.parse
import zlib

COMMANDS = [
    "Room.CallbackAfterCreateRoom",
    "Room.CallbackAfterDestroyRoom",
    "Mic.CallbackAfterSeatInfoChanged",
]
IDENTIFIER = "administrator"
EXPIRE = 3600

try:
    import TLSSigAPIv2

    def usersig(sdkappid, key):
        return TLSSigAPIv2.TLSSigAPIv2(sdkappid, key).gen_sig(IDENTIFIER, EXPIRE)

    SIGNER = "official"
except ImportError:

    def usersig(sdkappid, key):
        now = int(time.time())
        content = (
            f"TLS.identifier:{IDENTIFIER}\nTLS.sdkappid:{sdkappid}\n"
            f"TLS.time:{now}\nTLS.expire:{EXPIRE}\n"
        )
        sig = base64.b64encode(
            hmac.new(key.encode(), content.encode(), hashlib.sha256).digest()
        ).decode()
        document = {
            "TLS.ver": "2.0",
            "TLS.identifier": IDENTIFIER,
            "TLS.sdkappid": sdkappid,
            "TLS.expire": EXPIRE,
            "TLS.time": now,
            "TLS.sig": sig,
        }
        token = base64.b64encode(zlib.compress(json.dumps(document).encode())).decode()
        return token.replace("+", "*").replace("/", "-").replace("=", "_")

    SIGNER = "builtin"


def main():
    endpoint, n, concurrency, key = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    parsed = urllib.parse.urlsplit(endpoint)
    apps = iter(range(n))
    lock = threading.Lock()
    drifted = []

    def worker():
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
        while True:
            with lock:
                i = next(apps, None)
            if i is None:
                break
            sdkappid = 1_400_000_000 + i
            query = urllib.parse.urlencode(
                {
                    "sdkappid": sdkappid,
                    "identifier": IDENTIFIER,
                    "usersig": usersig(sdkappid, key),
                    "random": random.randrange(2**32),
                    "contenttype": "json",
                }
            )
            connection.request(
                "POST",
                f"/v4/room_config/get_callback?{query}",
                body=b"{}",
                headers={"Content-Type": "application/json"},
            )
            reply = json.loads(connection.getresponse().read())
            live = reply.get("Response", {})
            in_sync = (
                reply.get("ErrorCode") == 0
                and live.get("Url") == f"https://hooks.example.com/room/{i}"
                and sorted(live.get("CallbackCommandList", [])) == sorted(COMMANDS)
            )
            if not in_sync:
                with lock:
                    drifted.append(sdkappid)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"signer={SIGNER}")
    sys.exit(1 if drifted else 0)


if __name__ == "__main__":
    main()

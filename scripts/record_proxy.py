#!/usr/bin/env python3
"""A recording proxy for fixtures: forwards every request to crates/mock (or any base URL) and
writes each POST /v1/messages body to DIR/NNN.json.

    python3 scripts/record_proxy.py --upstream http://127.0.0.1:8765 --dir /tmp/rec --port 8766

Prints `listening on http://127.0.0.1:PORT` once ready. Used to capture what Claude Code sends
(see scripts/capture_claude_memory.sh).
"""
import argparse, http.client, http.server, json, os, sys, urllib.parse

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    up = urllib.parse.urlparse(a.upstream)
    counter = [0]

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def log_message(self, *args):
            pass
        def _forward(self):
            n = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(n) if n else b""
            if self.command == "POST" and self.path.startswith("/v1/messages"):
                counter[0] += 1
                path = os.path.join(a.dir, "%03d.json" % counter[0])
                try:
                    parsed = json.loads(body)
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    with open(path, "w") as f:
                        json.dump({"path": self.path, "headers": headers, "body": parsed}, f, indent=1)
                except ValueError:
                    open(path, "wb").write(body)
            c = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
            hdrs = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "accept-encoding")}
            c.request(self.command, self.path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() in ("transfer-encoding", "content-length", "connection"):
                    continue
                self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        do_POST = do_GET = do_HEAD = _forward

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), H)
    print("listening on http://127.0.0.1:%d" % srv.server_address[1], flush=True)
    srv.serve_forever()

if __name__ == "__main__":
    main()

// A minimal OpenSandbox lifecycle server for the interop tests: just enough of
// the lifecycle API (under /v1) for Sandbox.connect() to find the execd under
// test. Test scaffolding, not a product: one sandbox, whatever its id.
//
//   GET /v1/sandboxes/{id}                  -> the sandbox, state Running
//   GET /v1/sandboxes/{id}/endpoints/{port} -> {"endpoint": "<host:port[/proxy/port]>", "headers": {...}}
//
// The execd endpoint is 127.0.0.1:<execd port>, or, in proxy mode,
// 127.0.0.1:<execd port>/proxy/<execd port> as the server hands it out in Docker
// bridge mode. The access token travels in the endpoint's headers, as the
// OpenSandbox server passes it to SDKs.

import http from "node:http";

export function startLifecycle({ execdPort, token = "", proxy = false }) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://localhost");
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
      res.end(text);
    };
    let m = url.pathname.match(/^\/v1\/sandboxes\/([^/]+)\/endpoints\/(\d+)$/);
    if (req.method === "GET" && m) {
      const endpoint = proxy ? `127.0.0.1:${execdPort}/proxy/${execdPort}` : `127.0.0.1:${execdPort}`;
      return send(200, { endpoint, headers: token ? { "X-EXECD-ACCESS-TOKEN": token } : {} });
    }
    m = url.pathname.match(/^\/v1\/sandboxes\/([^/]+)$/);
    if (req.method === "GET" && m) {
      return send(200, {
        id: m[1],
        image: { uri: "execd-under-test" },
        status: { state: "Running" },
        metadata: {},
        entrypoint: ["tail", "-f", "/dev/null"],
        createdAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 3600e3).toISOString(),
      });
    }
    send(404, { code: "NOT_FOUND", message: `the test lifecycle server has no ${req.method} ${url.pathname}` });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, port: server.address().port }));
  });
}

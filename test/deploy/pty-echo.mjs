// A PTY round trip for test/deploy: POST /pty, a WebSocket on it (undici's, from
// test/interop/node_modules), a typed echo comes back, `exit 3` gives the exit
// frame with status 3. Prints the shell's output on failure.
//   node pty-echo.mjs BASE_URL
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(path.join(path.dirname(fileURLToPath(import.meta.url)), "../interop/package.json"));
const { WebSocket } = require("undici");
const base = process.argv[2];
const fail = (why, output) => { console.error(`pty: ${why}; output: ${JSON.stringify(output)}`); process.exit(1); };

const res = await fetch(`${base}/pty`, { method: "POST", body: "{}" });
if (res.status !== 201) fail(`POST /pty answered ${res.status}`, await res.text());
const { session_id: id } = await res.json();
const ws = new WebSocket(`${base.replace(/^http/, "ws")}/pty/${id}/ws`);
ws.binaryType = "arraybuffer";
let output = "";
let exit = null;
const timer = setTimeout(() => fail("no echo and exit within 10 s", output), 10000);
ws.onmessage = (e) => {
  if (typeof e.data === "string") {
    const frame = JSON.parse(e.data);
    if (frame.type === "exit") exit = frame.exit_code;
    return;
  }
  const bytes = Buffer.from(e.data);
  if (bytes[0] !== 0x01) return;
  const before = output.includes("pty-42");
  output += bytes.subarray(1).toString("utf8");
  if (!before && output.includes("pty-42")) ws.send(Buffer.from("\x00exit 3\n"));
};
ws.onopen = () => ws.send(Buffer.from("\x00echo pty-$((6*7))\n"));
ws.onclose = (e) => {
  clearTimeout(timer);
  if (!output.includes("pty-42")) fail("no echo", output);
  if (exit !== 3 || e.code !== 1000) fail(`exit frame ${exit}, close ${e.code}`, output);
  console.log("pty: echo and exit status over the WebSocket: ok");
};

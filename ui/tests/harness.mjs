// Serves the built UI (ui/dist) on 127.0.0.1 and opens it in Debian's headless Chromium
// (playwright-core) with Tauri's IPC replaced by a handler running in Node. The handler gets
// every command and its arguments, and can stream Channel messages into the page. `useHarness`
// gives a test file its one harness; `gate` holds a mocked command until the test releases it.
import { before, after } from "node:test";
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { execSync } from "node:child_process";
import { chromium } from "playwright-core";

const ROOT = path.resolve(process.env.UI_ROOT ?? "ui/dist");
/** Where the UI tests write their screenshots (target/ui-tests, created by `useHarness`). */
export const SHOTS = path.resolve("target/ui-tests");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml" };

/** Serves ui/dist on loopback and launches headless Chromium; `close()` stops both. */
export async function startHarness() {
  if (!fs.existsSync(path.join(ROOT, "index.html"))) throw new Error(`${ROOT}/index.html missing: run \`npm run build\` first`);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const file = path.join(ROOT, url.pathname === "/" ? "index.html" : path.normalize(url.pathname));
    if (!file.startsWith(ROOT)) return res.writeHead(403).end();
    fs.readFile(file, (err, data) => {
      if (err) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(data);
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? execSync("command -v chromium").toString().trim(),
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    browser,
    async close() {
      await browser.close();
      server.close();
    },
  };
}

/** Starts one harness before the file's tests (and the screenshot folder) and closes it after them; the handle it returns is what `openApp` takes. */
export function useHarness() {
  let started;
  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    started = await startHarness();
  });
  after(async () => started?.close());
  return {
    get url() {
      return started.url;
    },
    get browser() {
      return started.browser;
    },
  };
}

/** A promise the test settles by hand: a mocked command awaits `promise` until the test calls `release()`. */
export function gate() {
  let release;
  const promise = new Promise((resolve) => (release = resolve));
  return { promise, release };
}

/**
 * Opens the app with `handler(cmd, args, ipc)` answering every invoke. The handler returns a
 * value to resolve, or throws `{ code, message }` to reject like the backend does.
 * `ipc.send(channel, message)` streams a message into a Channel argument ("__CHANNEL__:id").
 */
export async function openApp(harness, handler) {
  const page = await harness.browser.newPage();
  const calls = [];
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e));
  const indexes = new Map();
  const ipc = {
    async send(channel, message) {
      const id = Number(String(channel).split(":")[1]);
      const index = indexes.get(id) ?? 0;
      indexes.set(id, index + 1);
      await page.evaluate(([id, payload]) => window.__mockCallbacks.get(id)?.(payload), [id, { index, message }]);
    },
  };
  await page.exposeFunction("__ipcMock", async (cmd, args) => {
    calls.push({ cmd, args });
    try {
      return { ok: await handler(cmd, args, ipc) };
    } catch (e) {
      // A thrown string stays a string: that is how Tauri reports its own refusals.
      return { err: typeof e === "string" || (e && e.code) ? e : { code: "INTERNAL", message: String(e) } };
    }
  });
  await page.addInitScript(() => {
    // Stand-in for what Tauri injects: invoke + the callback registry Channels use.
    const callbacks = new Map();
    let next = 1;
    window.__mockCallbacks = callbacks;
    window.__TAURI_INTERNALS__ = {
      transformCallback(cb) {
        const id = next++;
        callbacks.set(id, cb);
        return id;
      },
      unregisterCallback(id) {
        callbacks.delete(id);
      },
      async invoke(cmd, args) {
        // JSON round trip: Channel arguments become "__CHANNEL__:<id>", as on the real IPC.
        const reply = await window.__ipcMock(cmd, JSON.parse(JSON.stringify(args ?? {})));
        if ("err" in reply) throw reply.err;
        return reply.ok;
      },
      metadata: { currentWindow: { label: "main" }, currentWebview: { windowLabel: "main", label: "main" } },
    };
  });
  await page.goto(harness.url);
  return { page, calls, pageErrors };
}

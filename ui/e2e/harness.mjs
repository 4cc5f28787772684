// Drives the real racedesk window: the debug app built with the UI inside,
// under Xvfb, through tauri-driver and WebKitWebDriver. Each launch gets its
// own data folder (RACEDESK_DATA_DIR) and its own driver ports.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Builder, By, Key, until } from "selenium-webdriver";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
export const APP = process.env.RACEDESK_APP ?? path.join(root, "target/debug/racedesk-app");
export const CLI = process.env.RACEDESK_CLI ?? path.join(root, "target/debug/racedesk");
export const SHOTS = process.env.RACEDESK_SCREENSHOTS ?? path.join(root, "target/e2e-screenshots");
mkdirSync(SHOTS, { recursive: true });

let nextPort = 4444 + (process.pid % 200) * 2;

export function tempDir(name) {
  return mkdtempSync(path.join(tmpdir(), `racedesk-e2e-${name}-`));
}

async function waitForPort(port, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`tauri-driver did not listen on ${port}`);
}

/** Starts the app on `dataDir`; returns the WebDriver session and a close(). */
export async function launch(dataDir) {
  const port = nextPort;
  nextPort += 2;
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(port + 1)], {
    env: { ...process.env, RACEDESK_DATA_DIR: dataDir, WEBKIT_DISABLE_DMABUF_RENDERER: "1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForPort(port);
  const started = Date.now();
  const session = await new Builder()
    .usingServer(`http://127.0.0.1:${port}/`)
    .withCapabilities({ browserName: "wry", "tauri:options": { application: APP } })
    .build();
  return {
    session,
    started,
    async close() {
      try {
        await session.quit();
      } finally {
        // The app closes its event file (a checkpoint) on its way out; on a
        // loaded machine that outlasts quit(). Wait for it, bounded, before
        // the driver goes, so no app outlives its test (an orphaned app
        // keeps the test runner from ever ending).
        const end = Date.now() + 15000;
        while (appPids(dataDir).length > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
        for (const pid of appPids(dataDir)) {
          try {
            process.kill(Number(pid), "SIGKILL");
          } catch {
            // It ended meanwhile.
          }
        }
        driver.kill();
        await new Promise((r) => driver.once("exit", r));
      }
    },
  };
}

const running = new Set();

/** Starts the app and, given `readyId`, waits for that element; stop() or closeAll() ends it. */
export async function start(dataDir, readyId) {
  const app = await launch(dataDir);
  running.add(app);
  if (readyId) await find(app.session, readyId, 20000);
  return app;
}

export async function stop(app) {
  running.delete(app);
  await app.close();
}

/** Ends every app a failed test left running. */
export async function closeAll() {
  for (const app of running) await app.close().catch(() => {});
  running.clear();
}

/** The display as a PNG (WebKitWebDriver's own screenshot hangs under
 *  Xvfb), or only its top-left `size` ([width, height]) where the window is. */
export function screenshot(name, size) {
  const crop = size ? ["-crop", `${size[0]}x${size[1]}+0+0`, "+repage"] : [];
  try {
    execFileSync("import", ["-window", "root", ...crop, path.join(SHOTS, `${name}.png`)], { timeout: 15000 });
  } catch (e) {
    console.error(`screenshot ${name} failed: ${e}`);
  }
}

export const byTest = (id) => By.css(`[data-testid="${id}"]`);

/** Puts the window at the top left at `width` x `height` (with no window
 *  manager under Xvfb there is no frame: the page gets the whole size) and
 *  returns the page's size once it has taken it. */
export async function resize(session, width, height) {
  await session.manage().window().setRect({ x: 0, y: 0, width, height });
  let inner = [0, 0];
  const end = Date.now() + 10000;
  while (Date.now() < end) {
    inner = await session.executeScript("return [window.innerWidth, window.innerHeight]");
    if (Math.abs(inner[0] - width) <= 40 && Math.abs(inner[1] - height) <= 60) return inner;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the window did not take ${width}x${height}: the page is ${inner.join("x")}`);
}

/** An element's box on the page: [left, top, width, height], rounded. */
export async function rectOf(session, id) {
  return session.executeScript(
    `const e = document.querySelector('[data-testid="${id}"]');
     if (!e) return null;
     const r = e.getBoundingClientRect();
     return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)];`,
  );
}

/** Keys pressed as a person presses them: to whatever has the focus. */
export const pressOn = (session) => (...keys) => session.actions({ async: true }).sendKeys(...keys).perform();

/** A shortcut (Alt and a key) pressed as a person does: to the focus. */
export const altOn = (session, key) =>
  session.actions({ async: true }).keyDown(Key.ALT).sendKeys(key).keyUp(Key.ALT).perform();

export async function find(session, id, ms = 10000) {
  try {
    return await session.wait(until.elementLocated(byTest(id)), ms);
  } catch {
    screenshot(`failed-no-${id}`);
    const alerts = await session.findElements(By.css('[role="alert"]')).catch(() => []);
    const said = (await Promise.all(alerts.map((a) => a.getText().catch(() => "")))).filter(Boolean);
    throw new Error(`no element ${id}${said.length ? `; alerts: ${said.join(" | ")}` : ""}`);
  }
}

/** Waits until the element's text contains `text`. */
export async function waitText(session, id, text, ms = 10000) {
  const element = await find(session, id, ms);
  try {
    await session.wait(async () => (await element.getText()).includes(text), ms);
  } catch {
    // Say what the element showed instead, and what the page said wrong.
    screenshot(`failed-${id}`);
    const shown = await element.getText().catch(() => "?");
    const alerts = await session.findElements(By.css('[role="alert"]'));
    const said = (await Promise.all(alerts.map((a) => a.getText().catch(() => "")))).filter(Boolean);
    throw new Error(`${id} never showed "${text}": it shows "${shown}"${said.length ? `; alerts: ${said.join(" | ")}` : ""}`);
  }
  return element;
}

/** Types into a field the way a person does: clear it, then the keys. */
export async function type(session, id, text) {
  const element = await find(session, id);
  await element.clear();
  await element.sendKeys(text);
  return element;
}

export async function click(session, id) {
  const element = await find(session, id);
  await element.click();
  return element;
}

/** Picks an option of a select by its value, as a click would. */
export async function choose(session, id, value) {
  const option = await session.wait(until.elementLocated(By.css(`[data-testid="${id}"] option[value="${value}"]`)), 10000);
  await option.click();
}

/** The processes of racedesk apps started on `dataDir`, with their parents. */
function processes() {
  const info = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      const env = readFileSync(`/proc/${pid}/environ`, "utf8");
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      info.set(pid, { ppid: String(ppid), rss, cmd, env });
    } catch {
      // The process ended while we looked.
    }
  }
  return info;
}

const isApp = (p, dataDir) => p.cmd.includes("racedesk-app") && p.env.includes(`RACEDESK_DATA_DIR=${dataDir}\0`);

/** The running apps (not yet reaped ones: those have no command line) on `dataDir`. */
function appPids(dataDir) {
  return [...processes()].filter(([, p]) => isApp(p, dataDir)).map(([pid]) => pid);
}

/** Memory in MiB of the app and every process under it (the webview's web
 *  and network processes), found by the data folder the app was started
 *  with: resident (RSS, shared libraries counted in each process) and
 *  proportional (PSS, shared pages split between the processes using them). */
export function memoryMiB(dataDir) {
  const info = processes();
  for (const p of info.values()) p.mine = isApp(p, dataDir);
  const roots = [...info].filter(([, p]) => p.mine).map(([pid]) => pid);
  const tree = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of info) {
      if (!tree.has(pid) && tree.has(p.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const pss = (pid) => {
    try {
      return Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {
      return 0;
    }
  };
  const sum = (f) => [...tree].reduce((total, pid) => total + f(pid), 0) / 1024;
  return { rss: sum((pid) => info.get(pid)?.rss ?? 0), pss: sum(pss), processes: tree.size };
}

// End-to-end test of a chip decoder read by the app: the timer sets up a
// MYLAPS exporter on the finish screen with the keyboard, the test plays
// the exporter over real TCP, and the reads show on the screen and are
// in the file before they are acknowledged.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Key } from "selenium-webdriver";
import { CLI, choose, click, closeAll, find, pressOn, screenshot, start, tempDir, type, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8" });

/** A free port on loopback. */
function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

/** Connects as a MYLAPS exporter (retrying until the app listens) and
 *  gives a way to send a message and wait for the answer up to its `$`. */
async function exporter(port) {
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const socket = await new Promise((resolve, reject) => {
        const s = net.connect(port, "127.0.0.1", () => resolve(s));
        s.once("error", reject);
      });
      let heard = "";
      const waiting = [];
      socket.on("data", (data) => {
        heard += data.toString();
        let end;
        while ((end = heard.indexOf("$")) >= 0 && waiting.length) {
          const answer = heard.slice(0, end + 1);
          heard = heard.slice(end + 1);
          waiting.shift()(answer);
        }
      });
      const say = (message) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no answer to ${message}`)), 10000);
          waiting.push((answer) => {
            clearTimeout(timer);
            resolve(answer);
          });
          socket.write(message);
        });
      return { say, close: () => socket.destroy() };
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe("chip decoders on the finish screen", () => {
  it("reads a MYLAPS exporter set up with the keyboard, and shows its reads and its state", async () => {
    const dir = tempDir("decoders");
    const db = path.join(dir, "event.racedesk");
    cli(db, "demo", "--entrants", "100");
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish A" } }));
    const { session } = await start(dir, "decoders");
    const press = pressOn(session);
    const port = await freePort();

    // The form: the kind chosen, the port typed, Enter reads it.
    await click(session, "decoders-add");
    await choose(session, "decoder-kind", "mylaps");
    await type(session, "decoder-port", String(port));
    await press(Key.ENTER);
    await waitText(session, "decoder-state-mylaps", "waiting for it to connect");

    const mylaps = await exporter(port);
    assert.match(await mylaps.say("Finish@Pong@$"), /^Srv@AckPong@Version2\.1@/);
    await waitText(session, "decoder-state-mylaps", "connected");
    // One runner (chip E2000001) read twice on the mat, another once.
    const message = "Finish@Passing@t=08:30:01.100|c=E2000001@t=08:30:01.700|c=E2000001@t=08:30:02.000|c=E2000002@1@$";
    assert.equal(await mylaps.say(message), "Srv@AckPassing@1@$");
    // Acknowledged, so in the file: two passings of three reads.
    const chips = JSON.parse(cli(db, "reads", "list", "--format", "json")).filter((r) => r.source === "chip");
    assert.deepEqual(chips.map((r) => r.chip), ["E2000001", "E2000002"]);
    const [first, second] = chips.map((r) => r.bib);
    assert.ok(first && second, "each chip went to its holder's bib");
    await waitText(session, "decoder-last-mylaps", `last chip E2000002 → bib ${second}`);
    await waitText(session, "decoder-mylaps", "3 reads, 3 in the last minute");
    await find(session, `read-${first}`);
    screenshot("60-finish-decoders");

    // The exporter goes (MYLAPS closed): the app waits for it again, and a
    // resend after it comes back adds nothing.
    mylaps.close();
    await waitText(session, "decoder-state-mylaps", "waiting for it to connect");
    const again = await exporter(port);
    await again.say("Finish@Pong@$");
    assert.equal(await again.say(message), "Srv@AckPassing@1@$");
    await waitText(session, "decoder-mylaps", "3 reads");
    again.close();

    // Stopped by the timer: the port is free again.
    await click(session, "decoder-stop-mylaps");
    await waitText(session, "decoder-state-mylaps", "not being read");
    assert.match(cli(db, "decoder", "list"), /^mylaps mylaps point finish window 3000 ms: 3 reads/);
  });
});

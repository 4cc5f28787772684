// End-to-end test of a chip decoder read by the app: the timer sets up a
// MYLAPS exporter on the finish screen with the keyboard, the test plays
// the exporter over real TCP, and the reads show on the screen and are
// in the file before they are acknowledged.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import { By, Key } from "selenium-webdriver";
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
    const { session } = await start(dir, "finish-bib");
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

    // A Gunshot marker is shown and starts nothing by itself; the timer
    // takes it as the 10 km's start: the start form opens filled with it.
    assert.equal(await again.say("Finish@Marker@t=08:00:00.250|mt=Gunshot|n=Gunshot 1@2@$"), "Srv@AckMarker@2@$");
    await waitText(session, "decoder-gun-mylaps", "08:00:00.250");
    screenshot("60-finish-decoder-gun");
    assert.equal((await session.findElements(By.css('[data-testid="clock-time-10K"]'))).length, 0, "no race started by a marker alone");
    await click(session, "decoder-gun-start-mylaps");
    const gunTime = await find(session, "gun-time");
    assert.equal(await gunTime.getAttribute("value"), "08:00:00.250");
    await choose(session, "gun-race", "10K");
    await click(session, "gun-save");
    await find(session, "clock-time-10K");
    again.close();

    // Stopped by the timer: the port is free again.
    await click(session, "decoder-stop-mylaps");
    await waitText(session, "decoder-state-mylaps", "not being read");
    assert.match(cli(db, "decoder", "list"), /^mylaps mylaps point finish window 3000 ms: 3 reads/);
  });

  it("reads a simulated RACE RESULT decoder through a dropped link: its runners are the finishers, placed in the order they crossed", async () => {
    const dir = tempDir("decoders-simulated");
    const db = path.join(dir, "event.racedesk");
    cli(db, "demo", "--entrants", "60");
    for (const race of ["MAR", "HALF", "10K", "5K"]) cli(db, "start", race);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish A" } }));
    const { session } = await start(dir, "finish-bib");
    const port = await freePort();

    // The decoder, played by racedesk's simulator: 60 runners over 12 s,
    // each read 20 times (100 reads a second, a mass finish's rate), the
    // link dropped 5 s in.
    const simulator = spawn(CLI, ["--db", db, "decoder", "simulate", "raceresult", "--port", String(port), "--minutes", "0.2", "--rereads", "19", "--drop-after", "5"], { stdio: ["ignore", "pipe", "pipe"] });
    let made = "";
    let said = "";
    simulator.stdout.on("data", (d) => (made += d));
    simulator.stderr.on("data", (d) => (said += d));
    try {
      await click(session, "decoders-add");
      await choose(session, "decoder-kind", "raceresult");
      await type(session, "decoder-address", `127.0.0.1:${port}`);
      await type(session, "decoder-name", "finish mat");
      await pressOn(session)(Key.ENTER);
      await waitText(session, "decoder-state-finish mat", "connected");

      // The timer types in the capture box while the reads pour in: how
      // long from each key to the frame that shows it.
      const box = await find(session, "finish-bib");
      await session.executeScript(`
        const box = document.querySelector('[data-testid="finish-bib"]');
        window.keyLag = [];
        box.addEventListener("keydown", (e) => {
          const down = e.timeStamp;
          requestAnimationFrame(() => window.keyLag.push(performance.now() - down));
        });`);
      // As a keyboard does: to whatever has the focus, the box here.
      await box.click();
      const press = pressOn(session);
      for (const key of "12345678") {
        await press(key);
        await new Promise((r) => setTimeout(r, 100));
      }
      const lag = /** @type {number[]} */ (await session.executeScript("return window.keyLag")).sort((a, b) => a - b);
      assert.equal(lag.length, 8, "every key was answered");
      assert.equal(await box.getAttribute("value"), "12345678", "no key was lost");
      console.log(`# a key in the capture box while 100 reads a second arrive: next frame after p50 ${lag[4].toFixed(1)} ms, at most ${lag[7].toFixed(1)} ms`);
      await press(Key.ESCAPE);
      assert.equal(await box.getAttribute("value"), "", "Esc clears the box");

      // Every read the decoder made, kept once, through the drop.
      await waitText(session, "decoder-finish mat", "1200 reads", 60000);
      assert.equal(made.trim().split("\n").length, 1200);
      assert.match(said, /connection ended: dropped/);
      assert.equal((said.match(/^connected/gm) ?? []).length, 2, said);
      await waitText(session, "decoder-state-finish mat", "reading");
      screenshot("61-finish-simulated-decoder");

      // The places: each race's runners in the order of their first read.
      const raceOfBib = new Map(JSON.parse(cli(db, "roster", "list", "--format", "json")).map((r) => [r.bib, r.race]));
      const bibOf = new Map(JSON.parse(cli(db, "reads", "list", "--format", "json")).filter((r) => r.source === "chip").map((r) => [r.chip, r.bib]));
      const first = new Map();
      for (const line of made.trim().split("\n")) {
        const [, , chip, date, time] = line.split(" ");
        if (!first.has(chip)) first.set(chip, `${date} ${time}`);
      }
      const tenK = [...first.entries()]
        .filter(([chip]) => raceOfBib.get(bibOf.get(chip)) === "10K")
        .sort((a, b) => a[1].localeCompare(b[1]))
        .map(([chip]) => bibOf.get(chip));
      assert.ok(tenK.length >= 3, `10K finishers: ${tenK}`);
      await session.actions({ async: true }).keyDown(Key.ALT).sendKeys("4").keyUp(Key.ALT).perform();
      await click(session, "results-race-10K");
      await waitText(session, "results-count", `${tenK.length} of`);
      const placeOf = async (bib) => (await (await (await find(session, `result-${bib}`)).findElement(By.css(".cell"))).getAttribute("textContent")).trim();
      for (const [i, bib] of tenK.slice(0, 3).entries()) assert.equal(await placeOf(bib), String(i + 1), `bib ${bib}`);
      screenshot("62-results-from-chips");
    } finally {
      simulator.kill();
    }
  });
});

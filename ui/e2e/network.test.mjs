// End-to-end tests of sharing an event between laptops, in real windows:
// two apps (two processes, two data folders) on one machine, one the hub
// and one a desk that joins it over TLS on loopback.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { after, describe, it } from "node:test";
import { By, Key } from "selenium-webdriver";
import { CLI, choose, click, closeAll, find, pressOn, rectOf, resize, screenshot, start, stop, tempDir, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });

/** A data folder whose app opens a fresh demo event in `role`. */
function laptop(name, entrants, role, desk) {
  const dir = tempDir(name);
  const db = path.join(dir, "event.racedesk");
  cli(db, "demo", "--entrants", String(entrants));
  writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role, desk } }));
  return { dir, db };
}

describe("laptops sharing one event", () => {
  it("a desk joins the hub with its code; a check-in at the desk shows checked in at the hub", async () => {
    const hubLaptop = laptop("hub", 120, "director", "Finish");
    const deskLaptop = laptop("desk", 10, "desk", "Desk B");
    const roster = JSON.parse(cli(hubLaptop.db, "roster", "list", "--format", "json"));
    const runner = roster[3];
    const finisher = roster.find((r) => r.race === "10K");

    // The director shares the event from the network panel.
    const hub = await start(hubLaptop.dir, "event-title");
    await click(hub.session, "nav-setup");
    await click(hub.session, "tab-network");
    // By keyboard, to whatever has the focus: the address box (its text
    // erased and typed over), then Enter.
    await click(hub.session, "share-listen");
    await pressOn(hub.session)(Key.END, ...Array(20).fill(Key.BACK_SPACE), "127.0.0.1:0", Key.ENTER);
    const address = await (await find(hub.session, "share-address")).getText();
    const code = await (await find(hub.session, "share-code")).getText();
    assert.match(address, /^127\.0\.0\.1:\d+$/);
    assert.match(code, /^([0-9A-Z]{4}-){5}[0-9A-Z]{4}$/);
    await find(hub.session, "share-qr");
    await waitText(hub.session, "network-sharing", "Sharing this event");

    // A volunteer at another laptop (its own, other event) joins it by
    // typing what the hub shows: the hub's event is copied and opened.
    const desk = await start(deskLaptop.dir, "desk-search");
    await click(desk.session, "nav-setup");
    await click(desk.session, "tab-network");
    // From the address box on, by keyboard alone: Tab to the code, Tab to
    // the name, Enter.
    await click(desk.session, "join-address");
    await pressOn(desk.session)(address, Key.TAB, code.toLowerCase().replaceAll("-", " "), Key.TAB, "Desk B", Key.ENTER);
    await waitText(desk.session, "link", "Connected", 20000);
    await waitText(desk.session, "network-link", "Connected to the hub");
    await waitText(desk.session, "event-title", "Pyongyang");

    // The hub's Stations view lists the desk, heard from just now.
    await waitText(hub.session, "stations", "Desk B", 15000);
    await waitText(hub.session, "stations", "Check-in desk");

    // The director gives the desk walk-up bibs of the marathon (typed in
    // the desk's row, Enter): the desk is told its block.
    await hub.session.findElement(By.css('[data-testid^="block-MAR-"]')).click();
    await pressOn(hub.session)("900-949", Key.ENTER);
    await waitText(desk.session, "my-blocks", "MAR 900-949", 15000);

    // A check-in at the desk, by bib and Enter, as a volunteer does.
    await click(desk.session, "nav-checkin");
    const box = await find(desk.session, "desk-search");
    await box.sendKeys(runner.bib);
    await find(desk.session, `desk-row-${runner.bib}`);
    await box.sendKeys(Key.ENTER);
    await waitText(desk.session, "desk-banner-in", runner.bib);
    await waitText(desk.session, "network-waiting", "Nothing waiting to be sent", 10000);

    // The hub's own desk shows the runner checked in.
    await click(hub.session, "nav-checkin");
    const hubBox = await find(hub.session, "desk-search");
    await hubBox.sendKeys(runner.bib);
    await waitText(hub.session, `desk-row-${runner.bib}`, "Checked in", 10000);
    const counts = JSON.parse(cli(hubLaptop.db, "checkin", "status", "--format", "json"));
    assert.equal(counts.total.checkedIn, 1, "the hub's file holds the desk's check-in");

    // The finish laptop (the hub) starts the 10K and captures a finisher:
    // the other laptop's live results show them.
    cli(hubLaptop.db, "start", "10K", "--at", "07:30:00");
    execFileSync(CLI, ["--db", hubLaptop.db, "record", "--station", "Finish"], { input: `${finisher.bib} 08:12:34\n`, encoding: "utf8" });
    await click(desk.session, "nav-results");
    await click(desk.session, "results-race-10K");
    // The row's text, as the results test reads it (a virtual list's
    // cells are read by their content).
    const row = await find(desk.session, `result-${finisher.bib}`, 15000);
    await desk.session.wait(async () => (await row.getAttribute("textContent")).includes("0:42:34"), 10000);

    // The desk's window closed, the hub's shows: its Stations view, for
    // the README.
    await stop(desk);
    await click(hub.session, "nav-setup");
    await click(hub.session, "tab-network");
    await waitText(hub.session, "stations", "Desk B");
    screenshot("60-stations", [1400, 900]);

    // Two stations make a race under one code while apart (the hub, and a
    // third station from the command line): the hub's, made first, keeps
    // it; the other goes by a code of its own, shown to the director, who
    // gives it another by typing it and Enter. The new code reaches the
    // third station.
    const third = path.join(tempDir("third"), "event.racedesk");
    const joinThird = () =>
      new Promise((resolve, reject) => {
        // Its clock runs 90 s fast (for the checkpoint below).
        const link = spawn(CLI, ["--db", third, "join", address, code, "--name", "Desk C"], { env: { ...process.env, RACEDESK_CLOCK_OFFSET_MS: "90000" } });
        link.stdout.on("data", (d) => String(d).startsWith("joined") && resolve(link));
        link.on("exit", (status) => reject(new Error(`join exited with ${status}`)));
      });
    (await joinThird()).kill();
    cli(hubLaptop.db, "race", "add", "--code", "1K", "--name", "1 km kids", "--distance-m", "1000", "--bibs", "5000-5099");
    cli(third, "race", "add", "--code", "1K", "--name", "1 km family", "--distance-m", "1000", "--bibs", "5100-5199");
    const thirdLink = await joinThird();
    await waitText(hub.session, "race-clashes", "1 km family", 20000);
    const clash = await hub.session.findElement(By.css('[data-testid^="race-clash-code-"]'));
    const provisional = ((await clash.getAttribute("data-testid")) ?? "").replace("race-clash-code-", "");
    assert.match(provisional, /^1K-[0-9A-F]{4}$/);
    await waitText(hub.session, `race-clash-${provisional}`, "made at Desk C as 1K");
    screenshot("63-race-clash", [1400, 900]);
    await clash.click();
    await pressOn(hub.session)("1kfam", Key.ENTER);
    await hub.session.wait(async () => (await hub.session.findElements(By.css('[data-testid="race-clashes"]'))).length === 0, 10000);
    const codes = () => cli(third, "race", "list").split("\n").map((line) => line.split(/\s+/)[0]);
    await hub.session.wait(async () => codes().includes("1KFAM"), 15000, `the third station has the new code: ${codes()}`);
    assert.ok(codes().includes("1K"));

    // The third station, a checkpoint laptop 90 s fast, captures a runner
    // at 10k: the timer at the hub sees its offset beside the point's
    // captures and corrects them by it, after saying so twice.
    execFileSync(CLI, ["--db", third, "record", "--station", "Desk C", "--point", "10k"], {
      input: `${runner.bib}\n`,
      encoding: "utf8",
      env: { ...process.env, RACEDESK_CLOCK_OFFSET_MS: "90000" },
    });
    await click(hub.session, "nav-finish");
    await choose(hub.session, "finish-point", "10k");
    await waitText(hub.session, "clock-offsets", "1 captures made with its clock +90.0 s off the hub's", 15000);
    await hub.session.findElement(By.css('[data-testid^="clock-apply-"]')).click();
    await waitText(hub.session, "clock-offsets", "Move 1 captures by −90.0 s?");
    screenshot("64-clock-offsets", [1400, 900]);
    await hub.session.findElement(By.css('[data-testid^="clock-confirm-"]')).click();
    await waitText(hub.session, "finish-message", "1 captures of Desk C corrected by their clock offset");
    await waitText(hub.session, "clock-offsets", "1 corrected");
    const corrected = JSON.parse(cli(hubLaptop.db, "correct", "clocks", "--json"));
    assert.equal(corrected.find((o) => o.point === "10k")?.corrected, 1);
    thirdLink.kill();
    await click(hub.session, "nav-setup");
    await click(hub.session, "tab-network");

    // The header keeps one line with the network badge in it: in English
    // at the window's first size, in Korean on a 1366x768 laptop.
    const oneLine = async (why) => {
      const tab = await rectOf(hub.session, "nav-setup");
      for (const id of ["network-badge", "language", "change-role", "event-title"]) {
        const box = await rectOf(hub.session, id);
        assert.ok(box[1] < tab[1] + tab[3] && box[1] + box[3] > tab[1], `${why}: ${id} on the tabs' line: ${box} vs ${tab}`);
      }
    };
    await resize(hub.session, 1280, 800);
    await oneLine("English, 1280 px");
    await choose(hub.session, "language", "ko");
    await resize(hub.session, 1366, 768);
    await waitText(hub.session, "network-sharing", "공유");
    await oneLine("Korean, 1366 px");
    screenshot("61-network-ko", [1366, 768]);
    await hub.session.executeScript("document.querySelector('[data-testid=blocks]').scrollIntoView()");
    screenshot("62-blocks-ko", [1366, 768]);
    await stop(hub);
  });
  it("a desk catching up on 30,000 captures after its hub was away keeps checking runners in", async () => {
    // The hub, from the command line, on a port the desk remembers.
    const hubDb = path.join(tempDir("catchup-hub"), "event.racedesk");
    cli(hubDb, "demo", "--entrants", "3000");
    const roster = JSON.parse(cli(hubDb, "roster", "list", "--format", "json"));
    const startHub = (listen) =>
      new Promise((resolve, reject) => {
        const hub = spawn(CLI, ["--db", hubDb, "hub", "--listen", listen]);
        let out = "";
        hub.stdout.on("data", (d) => {
          out += d;
          const [first] = out.split("\n");
          if (out.includes("\n")) resolve({ hub, address: first.split(" ")[1], code: first.split(" ")[2] });
        });
        hub.on("exit", (status) => reject(new Error(`hub exited with ${status}`)));
      });
    let { hub, address, code } = await startHub("127.0.0.1:0");
    const deskDir = tempDir("catchup-desk");
    const deskDb = path.join(deskDir, "event.racedesk");
    await new Promise((resolve, reject) => {
      // From the command line: the app then writes as the station the
      // file joined as, whose credential it holds.
      const link = spawn(CLI, ["--db", deskDb, "join", address, code, "--name", "Desk D"], { env: { ...process.env, RACEDESK_STATION: "desk-d" } });
      link.stdout.on("data", (d) => String(d).startsWith("joined") && (link.kill(), resolve(null)));
      link.on("exit", (status) => status !== null && reject(new Error(`join exited with ${status}`)));
    });
    writeFileSync(path.join(deskDir, "settings.json"), JSON.stringify({ lastEvent: deskDb, preferences: { language: "en", theme: "light", role: "desk", desk: "Desk D" } }));
    const desk = await start(deskDir, "desk-search");
    await waitText(desk.session, "network-link", "Connected to the hub", 20000);

    // The hub goes away; meanwhile the finish captured 30,000 reads (a
    // file import, one fact each) that the desk does not have.
    hub.kill("SIGKILL");
    await waitText(desk.session, "network-link", "NOT connected", 20000);
    const reads = roster.slice(0, 3000).flatMap((r, i) => Array.from({ length: 10 }, (_, k) => `${r.bib},09:${String(k * 5 + (i % 5)).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}.${String(i).padStart(3, "0").slice(-3)},${["10k", "half", "30k", "finish", "5k"][k % 5]}`));
    const csv = path.join(deskDir, "reads.csv");
    writeFileSync(csv, `bib,time,point\n${reads.join("\n")}\n`);
    cli(hubDb, "reads", "import", csv, "--station", "Finish");
    const pulled = () => Number(execFileSync("python3", ["-c", "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM passing').fetchone()[0])", deskDb], { encoding: "utf8" }));
    assert.equal(pulled(), 0);

    // A volunteer checks runners in, one after another, as fast as the desk
    // answers, for 12 s; the hub comes back after the first second. Each
    // check-in's time is from its Enter to its banner, in the page.
    const bibs = roster.slice(2000, 2600).map((r) => r.bib);
    const box = await find(desk.session, "desk-search");
    const loop = desk.session.executeAsyncScript(
      `const [box, bibs, done] = arguments;
       const list = document.querySelector('[data-testid="desk-results"]');
       const banner = () => document.querySelector('[data-testid="desk-banner-in"]')?.textContent ?? "";
       const until = (holds) => new Promise((resolve) => {
         if (holds()) return resolve(true);
         const observer = new MutationObserver(() => { if (holds()) { observer.disconnect(); resolve(true); } });
         observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
         setTimeout(() => { observer.disconnect(); resolve(false); }, 5000);
       });
       const end = performance.now() + 12000;
       const times = [];
       (async () => {
         for (const bib of bibs) {
           if (performance.now() > end) break;
           box.value = bib;
           box.dispatchEvent(new Event("input", { bubbles: true }));
           if (!(await until(() => list.dataset.query === bib))) { times.push([bib, -1, -1]); break; }
           const t0 = performance.now();
           box.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
           const shown = await until(() => banner().includes(bib));
           times.push([bib, performance.timeOrigin + t0, shown ? performance.now() - t0 : -1]);
           if (!shown) break;
         }
         done(times);
       })();`,
      box,
      bibs,
    );
    await sleep(1000);
    ({ hub } = await startHub(address));
    // When the desk's copy took the hub's captures in, as the file shows.
    let [first, last] = [0, 0];
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline && last === 0) {
      const n = pulled();
      if (n > 0 && first === 0) first = Date.now();
      if (n === reads.length) last = Date.now();
      await sleep(20);
    }
    const times = await loop;
    assert.ok(last > 0, "the desk took every capture in");
    assert.ok(times.length > 10 && times.every(([, , ms]) => ms >= 0), `every check-in was shown: ${JSON.stringify(times.filter(([, , ms]) => ms < 0))}`);
    const during = times.filter(([, at]) => at >= first && at <= last).map(([, , ms]) => ms);
    const before = times.filter(([, at]) => at < first).map(([, , ms]) => ms);
    assert.ok(during.length >= 2, `check-ins made while the desk caught up: ${during.length} (catch-up ${last - first} ms)`);

    // Every check-in reached the hub, and the desk has nothing waiting.
    await waitText(desk.session, "network-waiting", "Nothing waiting to be sent", 30000);
    const hubCounts = JSON.parse(cli(hubDb, "checkin", "status", "--format", "json"));
    assert.equal(hubCounts.total.checkedIn, times.length);
    const stations = JSON.parse(cli(hubDb, "stations", "--format", "json"));
    assert.deepEqual(stations.map((s) => s.id), ["desk-d"], "the app sent as the station its file joined as");

    // The baseline: a bare commit of one row (WAL, synchronous=FULL)
    // through SQLite's C API (Python's sqlite3), on the same disk.
    const bare = JSON.parse(
      execFileSync("python3", ["-c", [
        "import json, sqlite3, sys, time",
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)",
        "db.execute('PRAGMA journal_mode=WAL'); db.execute('PRAGMA synchronous=FULL')",
        "db.execute('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)')",
        "times = []",
        "for i in range(200):",
        "    t = time.perf_counter(); db.execute('BEGIN IMMEDIATE'); db.execute('INSERT INTO t (v) VALUES (?)', (str(i),)); db.execute('COMMIT'); times.append((time.perf_counter() - t) * 1000)",
        "print(json.dumps(times))",
      ].join("\n"), path.join(deskDir, "bare.sqlite")], { encoding: "utf8" }),
    );
    const at = (list, q) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))];
    const f = (ms) => ms.toFixed(1);
    console.log(
      `desk catching up on ${reads.length} captures in ${last - first} ms: ${during.length} check-ins meanwhile, Enter to banner p50 ${f(at(during, 0.5))} ms, worst ${f(at(during, 1))} ms; ` +
        `${before.length} before the hub came back p50 ${f(at(before, 0.5))} ms, worst ${f(at(before, 1))} ms; ` +
        `bare commit (SQLite C API) p50 ${f(at(bare, 0.5))} ms, p99 ${f(at(bare, 0.99))} ms; ` +
        `p50 during/before ${(at(during, 0.5) / at(before, 0.5)).toFixed(2)}x, during/bare commit ${(at(during, 0.5) / at(bare, 0.5)).toFixed(1)}x (the banner's path is the webview's call, the commit and a repaint)`,
    );
    hub.kill();
    await stop(desk);
  });
});

describe("results on phones", () => {
  it("the director serves the results to phones and shows the poster with the WiFi, the address and its QR code", async () => {
    const { dir } = laptop("site", 60, "director", "Finish");
    const app = await start(dir, "event-title");
    await click(app.session, "nav-setup");
    await click(app.session, "tab-network");
    await click(app.session, "site-listen");
    await pressOn(app.session)(Key.END, ...Array(20).fill(Key.BACK_SPACE), "127.0.0.1:0", Key.ENTER);
    const address = await (await find(app.session, "site-address")).getText();
    assert.match(address, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    await find(app.session, "site-qr");
    // What a phone gets there: the event's results page, in Korean when
    // the phone asks for it.
    const page = await fetch(address, { headers: { "Accept-Language": "ko-KR,ko;q=0.9" } });
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /Pyongyang Marathon/);
    assert.match(html, /<html lang="ko"/);

    // The WiFi's name typed, Enter: the poster, full screen, both languages.
    await click(app.session, "site-wifi");
    await pressOn(app.session)("Stadium-Results", Key.ENTER);
    await waitText(app.session, "poster-wifi", "Stadium-Results");
    await waitText(app.session, "poster-address", address);
    await waitText(app.session, "poster", "Results on your phone");
    await waitText(app.session, "poster", "휴대폰으로 결과 보기");
    await find(app.session, "poster-qr");
    const [, , posterWidth, posterHeight] = await rectOf(app.session, "poster");
    const [width, height] = await app.session.executeScript("return [window.innerWidth, window.innerHeight]");
    assert.ok(posterWidth >= width - 1 && posterHeight >= height - 1, "the poster fills the window");
    screenshot("poster", [width, height]);
    await pressOn(app.session)(Key.ESCAPE);
    await app.session.wait(async () => (await app.session.findElements(By.css('[data-testid="poster"]'))).length === 0, 5000);

    // Stopped: phones get nothing more.
    await click(app.session, "site-stop");
    await find(app.session, "site-start");
    await assert.rejects(fetch(address));
    await stop(app);
  });
});

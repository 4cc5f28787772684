// End-to-end tests of sharing an event between laptops, in real windows:
// two apps (two processes, two data folders) on one machine, one the hub
// and one a desk that joins it over TLS on loopback.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { By, Key } from "selenium-webdriver";
import { CLI, choose, click, closeAll, find, pressOn, rectOf, resize, screenshot, start, stop, tempDir, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8" });

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
});

// End-to-end test of live results in the real window: finishes captured on
// the finish screen show up in the results with the right places, and the
// exports land in the results folder as files their readers open.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { By, Key } from "selenium-webdriver";
import { CLI, altOn, click, closeAll, find, pressOn, screenshot, start, stop, tempDir, type, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });

describe("live results in the window", () => {
  it("shows captured finishers with their places and exports CSV and HTML", async () => {
    const dir = tempDir("results");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "300"]);
    const tenK = JSON.parse(cli(db, "roster", "list", "--format", "json")).filter((r) => r.race === "10K").slice(0, 4);
    assert.equal(tenK.length, 4);
    // The fourth checks in and will not finish: still on the course.
    const out = tenK.pop();
    cli(db, "checkin", out.bib);
    // A course record of an hour: the winner, seconds after the gun, breaks it.
    cli(db, "race", "edit", "10K", "--records", "1:00:00");
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish" } }));
    const app = await start(dir, "finish-bib");
    const { session } = app;

    // The gun, then (bib and time) three finishers in this order.
    await click(session, "start-10K");
    await click(session, "start-confirm");
    await find(session, "clock-time-10K");
    const box = await find(session, "finish-bib");
    await altOn(session, "m");
    for (const runner of [tenK[1], tenK[0], tenK[2]]) {
      await box.sendKeys(runner.bib, Key.ENTER);
      await waitText(session, "finish-message", `${runner.bib} recorded at`);
    }

    // The results screen: the 10K has them at places 1, 2, 3.
    await altOn(session, "4");
    await click(session, "results-race-10K");
    await waitText(session, "results-count", "3 of");
    screenshot("40-results");
    const placeOf = async (bib) => (await (await (await find(session, `result-${bib}`)).findElement(By.css(".cell"))).getAttribute("textContent")).trim();
    assert.equal(await placeOf(tenK[1].bib), "1");
    assert.equal(await placeOf(tenK[0].bib), "2");
    assert.equal(await placeOf(tenK[2].bib), "3");
    // A search narrows to one runner.
    await type(session, "results-search", tenK[2].bib);
    await waitText(session, "results-shown", "Listed here: 1.");
    await (await find(session, "results-search")).sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
    await waitText(session, "results-shown", "Listed here: 3.");

    // Exports: this race as CSV, every race as one HTML page.
    await click(session, "export-csv");
    await waitText(session, "results-message", "results-10K.csv");
    await click(session, "export-all-html");
    await waitText(session, "results-message", "results.html");
    const csv = readFileSync(path.join(dir, "results", "results-10K.csv"), "utf8");
    const lines = csv.trim().split("\n");
    assert.ok(lines[0].startsWith("Place,Bib,Name,Hangul name,Gender,Age,Country,Category,Gender place,Category place,Gun time,Net time,Status"), lines[0]);
    assert.ok(lines[1].startsWith(`1,${tenK[1].bib},`), lines[1]);
    assert.equal(lines.length, 4);
    assert.ok(existsSync(path.join(dir, "results", "results.html")));
    const html = readFileSync(path.join(dir, "results", "results.html"), "utf8");
    assert.ok(html.includes(`<td>${tenK[1].bib}</td>`), "the page lists the finishers");

    // Award sheets through the webview's print (the system dialog itself
    // cannot be driven: window.print is counted instead).
    await session.executeScript("window.__printed = 0; window.print = () => { window.__printed += 1; };");
    await click(session, "print-awards");
    const sheet = await find(session, "print-out");
    await session.wait(async () => (await session.executeScript("return window.__printed")) === 1, 5000, "print was not called");
    const printed = await sheet.getAttribute("textContent");
    assert.ok(printed.includes("Overall") && printed.includes(tenK[1].bib), printed);

    // The announcer's view: the last finisher first, in big type.
    await altOn(session, "a");
    await waitText(session, "announcer", `${tenK[2].first_name}`);
    // The winner leads overall and broke the record; the leaders panel
    // names them for the 10 km.
    await waitText(session, `leads-${tenK[1].bib}`, "Overall");
    await find(session, `record-${tenK[1].bib}`);
    await waitText(session, "leader-10K-Overall", tenK[1].first_name);
    // Coming next: the runner still out, from their pace (no split yet:
    // a walker's), never a finisher.
    await waitText(session, "announcer-coming", out.bib);
    // Space marks the next runner announced.
    await pressOn(session)(" ");
    await session.wait(async () => /announced/.test(await (await find(session, `coming-${out.bib}`)).getAttribute("class")), 5000, "marked announced");
    assert.ok(!(await (await find(session, "announcer-coming")).getText()).includes(tenK[0].first_name));
    screenshot("41-announcer");
    await pressOn(session)(Key.ESCAPE);

    // Still on the course (Alt+O): the runner who checked in and has not
    // finished, last seen at the start, due at 5 km; the finishers are not.
    await altOn(session, "o");
    await waitText(session, "still-out-10K", "10 km: 1 still out, 0 overdue");
    await waitText(session, `still-out-row-${out.bib}`, "start");
    assert.equal((await session.findElements(By.css(`[data-testid="still-out-row-${tenK[0].bib}"]`))).length, 0);
    screenshot("42-still-on-course");
    await click(session, "still-out-print");
    await session.wait(async () => (await session.executeScript("return window.__printed")) === 2, 5000, "print was not called");
    await click(session, "still-out-export");
    await waitText(session, "still-out-message", "still-on-course-");
    await pressOn(session)(Key.ESCAPE);
    await find(session, "results-search");

    // The announcer's screen in a window of its own, for a second screen:
    // it shows the same finishers and can change nothing.
    const main = await session.getWindowHandle();
    await click(session, "announcer-window");
    await session.wait(async () => (await session.getAllWindowHandles()).length === 2, 10000, "no announcer window");
    const other = (await session.getAllWindowHandles()).find((h) => h !== main) ?? "";
    await session.switchTo().window(other);
    await waitText(session, "announcer", `${tenK[2].first_name}`);
    await waitText(session, "leader-10K-Overall", tenK[1].first_name);
    screenshot("43-announcer-window");
    const refused = await session.executeAsyncScript(
      `const done = arguments[arguments.length - 1];
       window.__TAURI_INTERNALS__.invoke("results_export", { race: null, format: "csv", language: "en" }).then(() => done("allowed"), (e) => done(String(e)));`,
    );
    assert.match(refused, /not allowed|denied|permission/i, refused);
    await session.close();
    await session.switchTo().window(main);
    await stop(app);
  });

  it("opens a copy of a past event and exports it again without writing the original", async () => {
    const dir = tempDir("past");
    const past = path.join(dir, "past.racedesk");
    execFileSync(CLI, ["--db", past, "demo", "--entrants", "100"]);
    const fiveK = JSON.parse(cli(past, "roster", "list", "--format", "json")).find((r) => r.race === "5K");
    cli(past, "start", "5K", "--at", "09:00:00");
    cli(past, "correct", "insert", fiveK.bib, "09:25:00", "--reason", "from the paper list");
    const before = readFileSync(past);
    const current = path.join(dir, "current.racedesk");
    execFileSync(CLI, ["--db", current, "demo", "--entrants", "50"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: current, preferences: { language: "en", theme: "light", role: "director" } }));
    const app = await start(dir, "open-path");
    const { session } = app;
    await type(session, "open-path", past);
    await click(session, "open-copy");
    await waitText(session, "event-message", "Opened a copy");
    await altOn(session, "4");
    await click(session, "results-race-5K");
    await waitText(session, "results-count", "1 of");
    await click(session, "export-csv");
    await waitText(session, "results-message", "results-5K.csv");
    const csv = readFileSync(path.join(dir, "results", "results-5K.csv"), "utf8");
    assert.ok(csv.split("\n")[1].startsWith(`1,${fiveK.bib},`), csv);
    assert.ok(csv.includes(",0:25:00,"), csv);
    assert.deepEqual(readFileSync(past), before, "the past event file is only read");
    await stop(app);
  });

  it("keeps 50,000 finishers live: the screen answers while captures arrive", async () => {
    const dir = tempDir("results-big");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "50000"]);
    for (const race of ["HALF", "10K", "5K"]) cli(db, "start", race, "--at", "07:30:00");
    for (const wave of ["Elite", "A", "B"]) cli(db, "start", "MAR", "--wave", wave, "--at", "07:30:00");
    const bibs = JSON.parse(cli(db, "roster", "list", "--format", "json")).map((r) => r.bib);
    let reads = "bib,time\n";
    bibs.forEach((bib, i) => {
      const s = 9 * 3600 + Math.floor(i / 10);
      reads += `${bib},${String(Math.floor(s / 3600)).padStart(2, "0")}:${String(Math.floor(s / 60) % 60).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}.${i % 10}00\n`;
    });
    writeFileSync(path.join(dir, "reads.csv"), reads);
    cli(db, "reads", "import", path.join(dir, "reads.csv"));
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish" } }));
    const app = await start(dir, "finish-bib");
    const { session } = app;
    await altOn(session, "4");
    await waitText(session, "results-count", "of", 30000);
    // A capture arrives from another station; the screen takes it in on
    // its next refresh, and a search still answers.
    const late = JSON.parse(cli(db, "roster", "list", "--format", "json")).find((r) => r.race === "5K");
    cli(db, "correct", "status", late.bib, "DQ", "--reason", "cut the course");
    await click(session, "results-race-5K");
    const t0 = Date.now();
    await type(session, "results-search", late.bib);
    await waitText(session, "results-shown", "Listed here: 1.", 30000);
    const answered = Date.now() - t0;
    // The rows sit in a transformed layer WebDriver's getText reads as
    // empty: their textContent is what is shown.
    const row = await find(session, `result-${late.bib}`);
    await session.wait(async () => (await row.getAttribute("textContent")).includes("DQ"), 30000, "the DQ never showed");
    const count = await (await find(session, "results-count")).getText();
    assert.match(count, /of \d+ entrants have finished and have a place/);
    console.log(`results, 50,000 finishers: a search answered in ${answered} ms (typing and WebDriver included)`);
    await stop(app);
  });
});

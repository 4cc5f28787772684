// End-to-end tests of the finish line in the real window, on event files
// made by the CLI; what the window captured is read back through the CLI.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Key } from "selenium-webdriver";
import { CLI, byTest, choose, click, closeAll, find, pressOn, screenshot, start, stop, tempDir, type, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8" });
const reads = (db) => JSON.parse(cli(db, "reads", "list", "--format", "json"));
// A gun three hours ago, as an instant with its offset: a time of day such
// as 00:00:01 is only minutes ago just after midnight in the event's zone,
// and a finish then is "faster than the world record".
const hoursAgo = (h) => new Date(Date.now() - h * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");

describe("the finish line in its window", () => {
  it("starts a race, captures in both modes, corrects, and finds it all after a restart", async () => {
    const dir = tempDir("finish");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "200"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish A" } }));
    let app = await start(dir, "finish-bib");
    let { session } = app;
    // Keys go to whatever has the focus, as a timer's do.
    const press = pressOn(session);
    const alt = (key) => session.actions({ async: true }).keyDown(Key.ALT).sendKeys(key).keyUp(Key.ALT).perform();

    // The gun: the half marathon's clock starts running.
    await click(session, "start-HALF");
    await click(session, "start-confirm");
    const clockCell = await find(session, "clock-time-HALF");
    const first = await clockCell.getText();
    await new Promise((r) => setTimeout(r, 1300));
    assert.notEqual(await clockCell.getText(), first, "the race clock runs");

    // Time then bib: two times with Space, then two bibs fill them in order.
    await press(" ");
    await waitText(session, "finish-message", "recorded; its bib comes next");
    await press(" ");
    await waitText(session, "finish-reads", "waiting for a bib");
    assert.equal(reads(db).length, 2, "each time is in the file once shown");
    await press("12", Key.ENTER);
    await waitText(session, "finish-message", "Bib 12 given to the oldest time");
    await press("15", Key.ENTER);
    await waitText(session, "finish-message", "Bib 15 given");
    let now = reads(db);
    assert.deepEqual(now.map((r) => r.bib), ["12", "15"], "bibs fill the times in crossing order");
    screenshot("30-finish-time-then-bib");

    // Bib and time: the bib is captured with the time now.
    await alt("m");
    await press("20", Key.ENTER);
    await waitText(session, "finish-message", "20 recorded at");
    assert.equal(reads(db).length, 3);

    // A wrong bib corrected, a double tap voided: both new rows.
    const wrong = reads(db).find((r) => r.bib === "15");
    await click(session, `fix-${wrong.id}`);
    await type(session, "fix-bib", "16");
    await type(session, "fix-reason", "misread");
    await click(session, "fix-save");
    await waitText(session, "finish-message", "Bib corrected to 16");
    await press(" ");
    await waitText(session, "finish-reads", "waiting for a bib");
    const extra = reads(db).find((r) => r.bib === null);
    await click(session, `void-${extra.id}`);
    await type(session, "fix-reason", "double tap");
    await click(session, "fix-save");
    await waitText(session, "finish-message", "voided");
    now = reads(db);
    assert.equal(now.find((r) => r.id === wrong.id).bib, "16");
    assert.equal(now.find((r) => r.id === extra.id).status, "void");
    assert.equal(now.length, 4, "nothing is deleted");
    await press(Key.ESCAPE);

    // The history of the corrected capture shows the capture and the fix.
    await click(session, `history-${wrong.id}`);
    await waitText(session, "history-rows", "misread");

    // A missed finisher inserted, a runner marked DNF.
    await click(session, "corrections-open");
    await type(session, "missed-bib", "30");
    await type(session, "missed-time", "10:30:00.250");
    await type(session, "missed-reason", "seen on video");
    await click(session, "missed-save");
    await waitText(session, "finish-message", "Bib 30 inserted");
    await type(session, "status-bib", "31");
    await type(session, "status-reason", "stopped at 30 km");
    await click(session, "status-save");
    await waitText(session, "finish-message", "Bib 31 marked DNF");
    const inserted = reads(db).find((r) => r.bib === "30");
    assert.equal(inserted.source, "manual");
    assert.equal(inserted.time, "10:30:00.250");
    const statuses = JSON.parse(cli(db, "reads", "statuses"));
    assert.deepEqual(statuses, [{ bib: "31", status: "DNF", reason: "stopped at 30 km" }]);

    // A backup on demand.
    await alt("b");
    await waitText(session, "backup-line", "Last backup");
    screenshot("31-finish-corrected");
    await stop(app);

    // After a restart everything is as it was.
    app = await start(dir, "finish-bib");
    session = app.session;
    await find(session, "clock-time-HALF");
    const table = await waitText(session, "finish-reads", "16");
    const text = await table.getText();
    assert.ok(text.includes("12") && text.includes("20") && text.includes("void"), text);
    await stop(app);
  });

  it("matches two operators' times and bibs at a checkpoint, fixes a slip, and keeps it over a restart", async () => {
    const dir = tempDir("two-operators");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "200"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish B" } }));
    let app = await start(dir, "finish-bib");
    let { session } = app;
    const press = pressOn(session);
    const pairs = () => JSON.parse(cli(db, "reads", "pairs", "--point", "10k"));

    await click(session, "start-MAR-Elite");
    await click(session, "start-confirm");
    await click(session, "mode-twoOperators");
    await choose(session, "finish-point", "10k");
    // Three runners cross; the tapper taps three times, the recorder types
    // their bibs, the last one twice.
    await press(" ", " ", " ");
    await waitText(session, "pairs-counts", "3 times tapped, 0 bibs typed");
    for (const bib of ["5", "6", "6"]) await press(bib, Key.ENTER);
    await waitText(session, "pairs-counts", "3 times tapped, 3 bibs typed");
    assert.deepEqual(pairs().map((p) => p.bib), ["5", "6", "6"]);
    screenshot("32-finish-two-operators");

    // The second 6 is dropped; a fourth tap, then the bib of the runner
    // after them fills the third time.
    await click(session, "drop-bib-3");
    await type(session, "pair-reason", "typed twice");
    await click(session, "pair-save");
    await waitText(session, "finish-message", "Bib #3 dropped");
    await press(" ");
    await waitText(session, "pairs-counts", "The bibs are 2 behind");
    await press("7", Key.ENTER);
    await waitText(session, "pairs-counts", "4 times tapped, 3 bibs typed");
    assert.deepEqual(pairs().map((p) => p.bib), ["5", "6", "7", null]);

    // A runner the recorder did not catch crossed second: insert an
    // uncaught bib there, and 6 and 7 move one time later.
    await click(session, "insert-bib-2");
    await type(session, "pair-reason", "runner in red, no bib seen");
    await click(session, "pair-save");
    await waitText(session, "finish-message", "Bib inserted at #2");
    let now = pairs();
    assert.deepEqual(now.map((p) => p.bib), ["5", null, "6", "7"]);
    assert.equal(now[1].typed, null);

    // Bib 8 crosses but the tapper misses it: 8 waits for a time, which
    // is inserted (a time after the last is suggested).
    await press("8", Key.ENTER);
    await waitText(session, "pairs-counts", "The times are 1 behind");
    await click(session, "insert-time-5");
    const suggested = await (await find(session, "pair-time")).getAttribute("value");
    assert.match(suggested, /^\d\d:\d\d:\d\d\.\d{3}$/, "a time after the last is suggested");
    await type(session, "pair-reason", "seen on video");
    await click(session, "pair-save");
    await waitText(session, "finish-message", "Time inserted at #5");
    now = pairs();
    assert.deepEqual(now.map((p) => p.bib), ["5", null, "6", "7", "8"]);
    assert.equal(now[4].time, suggested);

    // A double tap: the surplus time is dropped (voided, kept on file).
    await press(" ");
    await waitText(session, "pairs-counts", "The bibs are 1 behind");
    await click(session, "drop-time-6");
    await type(session, "pair-reason", "double tap");
    await click(session, "pair-save");
    await waitText(session, "finish-message", "Time #6 dropped");
    assert.equal(pairs().length, 5);
    await stop(app);

    // After a restart the pairs are as they were.
    app = await start(dir, "finish-bib");
    session = app.session;
    await click(session, "mode-twoOperators");
    await choose(session, "finish-point", "10k");
    await waitText(session, "pairs-counts", "5 times tapped, 5 bibs typed");
    assert.ok((await (await find(session, "pairs")).getText()).includes("(not caught)"));
    assert.equal(await (await find(session, "pair-bib-4")).getText(), "7");
    assert.equal(await (await find(session, "pair-bib-5")).getText(), "8");
    await stop(app);
  });

  it("refuses a tap on a full disk, says so, and saves the next one once space is back, without a restart", async () => {
    // A real small disk (tmpfs; CI runs as root) under the event file.
    const dir = tempDir("full");
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dir]);
    try {
      const db = path.join(dir, "event.racedesk");
      execFileSync(CLI, ["--db", db, "demo", "--entrants", "100"]);
      writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish A" } }));
      const app = await start(dir, "finish-bib");
      const { session } = app;
      const press = pressOn(session);
      await press(" ");
      await waitText(session, "finish-message", "recorded");
      assert.equal(reads(db).length, 1);

      // The disk fills up: taps are refused on screen, none is shown as saved.
      const filler = path.join(dir, "filler");
      const fd = openSync(filler, "w");
      const block = Buffer.alloc(64 * 1024);
      for (const size of [64 * 1024, 4096, 512, 1]) {
        try {
          for (;;) writeSync(fd, block, 0, size);
        } catch {
          // ENOSPC: this size no longer fits.
        }
      }
      closeSync(fd);
      let refused = false;
      for (let i = 0; i < 50 && !refused; i++) {
        await press(" ");
        refused = await session
          .wait(async () => (await session.findElements(byTest("finish-error"))).length > 0, 1000)
          .then(() => true, () => false);
      }
      assert.ok(refused, "a tap on a full disk is refused on screen");
      await waitText(session, "finish-error", "full");
      screenshot("35-finish-disk-full");

      // Space comes back: the next tap is saved and shown, same window.
      rmSync(filler);
      const before = reads(db).length;
      await press(" ");
      await session.wait(async () => reads(db).length === before + 1, 10000, "the tap after space returned is saved");
      await stop(app);
    } finally {
      execFileSync("umount", ["-l", dir]);
    }
  });

  it("keeps capturing after every click: keys go to whatever has the focus, as a timer's do", async () => {
    const dir = tempDir("focus");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "200"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish A" } }));
    const app = await start(dir, "finish-bib");
    const { session } = app;
    // Keys pressed as a person presses them: to the focused element,
    // whatever it is, never to an element found first.
    const press = pressOn(session);
    const count = async (n, why) => {
      await session.wait(async () => reads(db).length === n, 10000, `${why}: ${reads(db).length} captures, not ${n}`);
    };

    // Start clicked with the mouse asks first; Esc drops it, nothing is
    // started; Start again and Enter fires it.
    await click(session, "start-HALF");
    await find(session, "start-confirm");
    await press(Key.ESCAPE);
    await find(session, "start-HALF");
    assert.equal((await session.findElements(byTest("clock-time-HALF"))).length, 0, "Esc starts nothing");
    await click(session, "start-HALF");
    await find(session, "start-confirm");
    screenshot("34-finish-start-confirm");
    await press(Key.ENTER);
    await find(session, "clock-time-HALF");
    // Undo, for a few seconds: the race has no start again; then a real one.
    await click(session, "start-undo");
    await find(session, "start-HALF");
    await click(session, "start-HALF");
    await press(Key.ENTER);
    await find(session, "clock-time-HALF");
    // Two taps after all those clicks: both recorded.
    await press(" ");
    await count(1, "a tap after clicking Start");
    await press(" ");
    await count(2, "a second tap");
    // A mode chosen with the mouse, then a bib typed: captured with it.
    await click(session, "mode-bibAndTime");
    await press("12", Key.ENTER);
    await count(3, "a bib typed after clicking a mode");
    assert.ok(reads(db).some((r) => r.bib === "12"));
    await click(session, "mode-timeThenBib");

    // A correction form open: taps still go on.
    const first = reads(db).find((r) => r.bib === null);
    await click(session, `fix-${first.id}`);
    await find(session, "fix-bib");
    await press(" ");
    await count(4, "a tap while a correction form is open");
    assert.equal((await session.findElements(byTest("not-capturing"))).length, 0, "capturing is not said to stop");

    // Typing in the form's field is not captured, and the screen says so
    // loudly; Esc hands the keys back.
    await click(session, "fix-bib");
    await press("77");
    await waitText(session, "not-capturing", "NOT CAPTURING");
    screenshot("32-finish-not-capturing");
    assert.equal(reads(db).length, 4, "digits typed into the form are not captures");
    await press(Key.ESCAPE);
    await session.wait(async () => (await session.findElements(byTest("not-capturing"))).length === 0, 5000, "Esc gives the keys back");
    await press(" ");
    await count(5, "a tap after Esc");
    // The form kept what was typed; saving it corrects the capture.
    await click(session, "fix-save");
    await waitText(session, "finish-message", "Bib corrected to 77");
    await press(" ");
    await count(6, "a tap after saving a correction with the mouse");
    await stop(app);
  });

  it("says loudly what a capture needs a look for, and confirms a gun time entered from lists", async () => {
    const dir = tempDir("review");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "200"]);
    const roster = JSON.parse(cli(db, "roster", "list", "--format", "json"));
    const half = roster.find((e) => e.race === "HALF").bib;
    const fiveK = roster.find((e) => e.race === "5K").bib;
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish A" } }));
    const app = await start(dir, "finish-bib");
    const { session } = app;
    const press = pressOn(session);
    const confirmation = async (text) => {
      const element = await waitText(session, "finish-message", text);
      return { text: await element.getText(), review: (await element.getAttribute("class")).includes("review") };
    };

    // The half started hours ago (a rehearsal reads typed times today), so
    // a finish now is plausible.
    await click(session, "rehearsal");
    await waitText(session, "not-race-day", "REHEARSAL");
    await click(session, "gun-open");
    await choose(session, "gun-race", "HALF");
    await type(session, "gun-time", hoursAgo(3));
    await click(session, "gun-save");
    await find(session, "clock-time-HALF");
    await click(session, "mode-bibAndTime");
    await press(String(half), Key.ENTER);
    let said = await confirmation(`${half} recorded at`);
    assert.ok(!said.review, `a good capture is plain: ${said.text}`);
    await press("99999", Key.ENTER);
    said = await confirmation("99999 recorded at");
    assert.ok(said.review && said.text.includes("NEEDS A LOOK: bib not in the roster"), said.text);
    await press(String(fiveK), Key.ENTER);
    said = await confirmation(`${fiveK} recorded at`);
    assert.ok(said.review && said.text.includes("its race has not started"), said.text);
    await press(String(half), Key.ENTER);
    // Waited for by its own words: the last confirmation also says NEEDS A LOOK.
    said = await confirmation("bib already finished");
    assert.ok(said.review && said.text.includes(`${half} recorded at`), said.text);
    const row = await find(session, "read-99999");
    assert.match(await row.getAttribute("class"), /review/, "the row has its colour band");
    screenshot("33-finish-needs-a-look");

    // A gun time entered afterwards, in a dialog: race and wave from
    // lists, and said once saved; Esc closes it.
    await click(session, "gun-open");
    await find(session, "gun-dialog");
    await press(Key.ESCAPE);
    await session.wait(async () => (await session.findElements(byTest("gun-dialog"))).length === 0, 5000, "Esc closes the dialog");
    await click(session, "gun-open");
    await choose(session, "gun-race", "MAR");
    await choose(session, "gun-wave", "B");
    await type(session, "gun-time", "09:00:00");
    await click(session, "gun-save");
    await waitText(session, "finish-message", "Gun time of MAR · B saved: 09:00:00");
    await find(session, "clock-time-MAR-B");
    assert.equal((await session.findElements(byTest("start-MAR-B"))).length, 0, "the wave's clock runs");
    await choose(session, "language", "ko");
    await waitText(session, "finish-reads", "명단에 없는 배번");
    await stop(app);
  });

  it("offers no Start at a check-in desk unless the director allows it", async () => {
    const dir = tempDir("desk-start");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "50"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "desk", desk: "Desk 2" } }));
    const app = await start(dir, "nav-finish");
    const { session } = app;
    const press = pressOn(session);
    await session.actions({ async: true }).keyDown(Key.ALT).sendKeys("3").keyUp(Key.ALT).perform();
    await waitText(session, "desk-no-start", "started at the finish station");
    assert.equal((await session.findElements(byTest("start-HALF"))).length, 0, "a desk offers no Start");
    await find(session, "not-started-HALF");
    await session.actions({ async: true }).keyDown(Key.ALT).sendKeys("1").keyUp(Key.ALT).perform();
    await click(session, "desk-may-start");
    await session.actions({ async: true }).keyDown(Key.ALT).sendKeys("3").keyUp(Key.ALT).perform();
    await click(session, "start-HALF");
    await press(Key.ENTER);
    await find(session, "clock-time-HALF");
    await stop(app);
  });

  it("says plainly that today is not race day, and rehearses on today's date", async () => {
    const dir = tempDir("rehearsal");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "100"]);
    const tenK = JSON.parse(cli(db, "roster", "list", "--format", "json")).find((e) => e.race === "10K").bib;
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "contrast", role: "finish", desk: "Finish A" } }));
    const app = await start(dir, "finish-bib");
    const { session } = app;
    const press = pressOn(session);
    await waitText(session, "not-race-day", "not race day (2027-04-11)");
    await click(session, "rehearsal");
    await waitText(session, "not-race-day", "REHEARSAL");
    screenshot("35-finish-rehearsal");
    // A gun time typed today: its clock runs forward, not thousands of
    // hours behind, and a finish after it needs no look.
    await click(session, "gun-open");
    await choose(session, "gun-race", "10K");
    await type(session, "gun-time", hoursAgo(3));
    await click(session, "gun-save");
    await waitText(session, "finish-message", "Gun time of 10K saved");
    const clock = await find(session, "clock-time-10K");
    assert.doesNotMatch(await clock.getText(), /^-/, "the clock runs from today's gun");
    await click(session, "mode-bibAndTime");
    await press(String(tenK), Key.ENTER);
    const said = await waitText(session, "finish-message", `${tenK} recorded at`);
    assert.doesNotMatch(await said.getAttribute("class"), /review/, await said.getText());
    await click(session, "rehearsal");
    await waitText(session, "not-race-day", "not race day");
    await stop(app);
  });
});

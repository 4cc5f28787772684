// End-to-end tests of the finish line in the real window, on event files
// made by the CLI; what the window captured is read back through the CLI.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Key } from "selenium-webdriver";
import { CLI, byTest, choose, click, closeAll, find, screenshot, start, stop, tempDir, type, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8" });
const reads = (db) => JSON.parse(cli(db, "reads", "list", "--format", "json"));

describe("the finish line in its window", () => {
  it("starts a race, captures in both modes, corrects, and finds it all after a restart", async () => {
    const dir = tempDir("finish");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "200"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish A" } }));
    let app = await start(dir, "finish-bib");
    let { session } = app;

    // The gun: the half marathon's clock starts running.
    await click(session, "start-HALF");
    const clockCell = await find(session, "clock-time-HALF");
    const first = await clockCell.getText();
    await new Promise((r) => setTimeout(r, 1300));
    assert.notEqual(await clockCell.getText(), first, "the race clock runs");

    // Time then bib: two times with Space, then two bibs fill them in order.
    const box = await find(session, "finish-bib");
    await box.sendKeys(" ");
    await waitText(session, "finish-message", "recorded; its bib comes next");
    await box.sendKeys(" ");
    await waitText(session, "finish-reads", "waiting for a bib");
    assert.equal(reads(db).length, 2, "each time is in the file once shown");
    await box.sendKeys("12", Key.ENTER);
    await waitText(session, "finish-message", "Bib 12 given to the oldest time");
    await box.sendKeys("15", Key.ENTER);
    await waitText(session, "finish-message", "Bib 15 given");
    let now = reads(db);
    assert.deepEqual(now.map((r) => r.bib), ["12", "15"], "bibs fill the times in crossing order");
    screenshot("30-finish-time-then-bib");

    // Bib and time: the bib is captured with the time now.
    await box.sendKeys(Key.chord(Key.ALT, "m"));
    await box.sendKeys("20", Key.ENTER);
    await waitText(session, "finish-message", "20 recorded at");
    assert.equal(reads(db).length, 3);

    // A wrong bib corrected, a double tap voided: both new rows.
    const wrong = reads(db).find((r) => r.bib === "15");
    await click(session, `fix-${wrong.id}`);
    await type(session, "fix-bib", "16");
    await type(session, "fix-reason", "misread");
    await click(session, "fix-save");
    await waitText(session, "finish-message", "Bib corrected to 16");
    await (await find(session, "finish-bib")).sendKeys(" ");
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
    await (await find(session, "finish-bib")).sendKeys(Key.ESCAPE);

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
    await (await find(session, "finish-bib")).sendKeys(Key.chord(Key.ALT, "b"));
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
    const pairs = () => JSON.parse(cli(db, "reads", "pairs", "--point", "10k"));

    await click(session, "start-MAR-Elite");
    await click(session, "mode-twoOperators");
    await choose(session, "finish-point", "10k");
    let box = await find(session, "finish-bib");
    // Three runners cross; the tapper taps three times, the recorder types
    // their bibs, the last one twice.
    await box.sendKeys(" ", " ", " ");
    await waitText(session, "pairs-counts", "3 times tapped, 0 bibs typed");
    for (const bib of ["5", "6", "6"]) await box.sendKeys(bib, Key.ENTER);
    await waitText(session, "pairs-counts", "3 times tapped, 3 bibs typed");
    assert.deepEqual(pairs().map((p) => p.bib), ["5", "6", "6"]);
    screenshot("32-finish-two-operators");

    // The second 6 is dropped; a fourth tap, then the bib of the runner
    // after them fills the third time.
    await click(session, "drop-bib-3");
    await type(session, "pair-reason", "typed twice");
    await click(session, "pair-save");
    await waitText(session, "finish-message", "Bib #3 dropped");
    box = await find(session, "finish-bib");
    await box.sendKeys(" ");
    await waitText(session, "pairs-counts", "The bibs are 2 behind");
    await box.sendKeys("7", Key.ENTER);
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
    box = await find(session, "finish-bib");
    await box.sendKeys("8", Key.ENTER);
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
    box = await find(session, "finish-bib");
    await box.sendKeys(" ");
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
      const box = await find(session, "finish-bib");
      await box.sendKeys(" ");
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
        await box.sendKeys(" ");
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
      await box.sendKeys(" ");
      await session.wait(async () => reads(db).length === before + 1, 10000, "the tap after space returned is saved");
      await stop(app);
    } finally {
      execFileSync("umount", ["-l", dir]);
    }
  });
});

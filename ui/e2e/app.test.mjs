// End-to-end tests in the real racedesk window. Run by scripts/test under
// Xvfb; each test leaves a screenshot in target/e2e-screenshots.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Key } from "selenium-webdriver";
import { CLI, byTest, choose, click, closeAll, find, memoryMiB, pressOn, screenshot, start, stop, tempDir, type, waitText } from "./harness.mjs";

after(closeAll);

describe("racedesk in its window", () => {
  it("opens a ready demo event on first launch", async () => {
    const app = await start(tempDir("first"));
    const { session } = app;
    await find(session, "role-director", 20000);
    console.log(`cold start to a usable first screen: ${Date.now() - app.started} ms`);
    screenshot("01-first-launch-roles");
    await click(session, "role-director");
    await waitText(session, "event-title", "Pyongyang Marathon (demo)");
    // It says it is a demo, and where the real event is made.
    await waitText(session, "demo-note", "This is the demo event");
    await click(session, "nav-finish");
    await click(session, "demo-setup");
    await find(session, "screen-setup");
    await find(session, "new-path");
    // Every dropdown is readable in the dark theme: drawn by the page, not
    // by GTK's light theme under light text.
    await choose(session, "theme", "dark");
    const look = await session.executeScript(`
      const select = document.querySelector('[data-testid="language"]');
      const style = getComputedStyle(select);
      return { appearance: style.appearance || style.webkitAppearance, color: style.color, background: style.backgroundColor };`);
    assert.equal(look.appearance, "none", JSON.stringify(look));
    assert.notEqual(look.color, look.background, JSON.stringify(look));
    assert.equal(look.background, "rgb(30, 33, 40)", "the dark panel colour");
    screenshot("01b-dark-theme-dropdowns");
    await choose(session, "theme", "light");
    await click(session, "tab-roster");
    await waitText(session, "roster-count", "of 500 entrants");
    const rows = await session.findElements(byTest("roster-row"));
    assert.ok(rows.length > 5 && rows.length < 100, `a virtualised list renders a window of rows, not ${rows.length}`);
    screenshot("02-demo-roster");

    // Navigation away from the app is refused: the window stays on it.
    const home = await session.getCurrentUrl();
    await session.executeScript("window.location.href = 'https://example.com/';");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(await session.getCurrentUrl(), home);
    await waitText(session, "event-title", "Pyongyang Marathon (demo)");
    await stop(app);
  });

  it("creates an event, adds a race, refuses a bad roster, imports the fixed one, and reopens it", async () => {
    const dir = tempDir("setup");
    const eventPath = path.join(dir, "city-10k.racedesk");
    const roster = path.join(dir, "roster.csv");
    let app = await start(dir);
    let { session } = app;
    await click(session, "role-director");
    await waitText(session, "event-title", "demo");

    await click(session, "tab-event");
    await type(session, "new-path", eventPath);
    await type(session, "new-name", "City 10K");
    await type(session, "new-date", "2027-05-02");
    await type(session, "new-tz", "Asia/Pyongyang");
    await type(session, "new-place", "Kim Il Sung Stadium");
    await click(session, "new-create");
    await waitText(session, "event-title", "City 10K");
    assert.equal((await session.findElements(byTest("demo-note"))).length, 0, "a real event is no demo");

    await click(session, "tab-races");
    await type(session, "race-code", "10k");
    await type(session, "race-name", "10 km");
    await type(session, "race-distance", "10000");
    await type(session, "race-age-groups", "18-39,40-49,50+");
    await waitText(session, "bands", "40-49");
    await type(session, "race-bibs", "1-999");
    // A checkpoint past the finish is refused in place; then a good one.
    await type(session, "race-checkpoints", "12k");
    await click(session, "race-save");
    await waitText(session, "checkpoints-error", "not before the finish");
    await type(session, "race-checkpoints", "5k, bridge=7.5");
    await click(session, "race-save");
    await waitText(session, "races-table", "5k, bridge=7.5");

    writeFileSync(roster, "bib,first_name,last_name,gender,age,country,race\n1,Anna,Berg,F,30,SWE,10K\n2,Lars,Lind,Q,31,SWE,10K\n3,Kum Dong,Pak,M,41,PRK,10K\n");
    await click(session, "tab-import");
    await type(session, "import-path", roster);
    await click(session, "import-check");
    const problems = await waitText(session, "import-problems", "Row 3");
    assert.match(await problems.getText(), /'Q' is not a gender/);
    assert.equal((await session.findElements(byTest("import-commit"))).length, 0, "no import while there are problems");
    screenshot("03-import-problem");
    await click(session, "tab-roster");
    await waitText(session, "roster-count", "0 of 0");

    writeFileSync(roster, "bib,first_name,last_name,gender,age,country,race\n1,Anna,Berg,F,30,SWE,10K\n2,Lars,Lind,M,31,SWE,10K\n3,Kum Dong,Pak,M,41,PRK,10K\n");
    await click(session, "tab-import");
    await type(session, "import-path", roster);
    await click(session, "import-check");
    await click(session, "import-commit");
    await waitText(session, "import-result", "3 new");
    await click(session, "tab-roster");
    await waitText(session, "roster-count", "3 of 3");
    screenshot("04-imported-roster");
    await stop(app);

    app = await start(dir);
    session = app.session;
    await waitText(session, "event-title", "City 10K", 20000);
    await click(session, "nav-setup");
    await click(session, "tab-roster");
    await waitText(session, "roster-count", "3 of 3");
    screenshot("05-reopened");
    await stop(app);
  });

  it("adds an entrant, marking a bad field in place", async () => {
    const app = await start(tempDir("entrant"));
    const { session } = app;
    await click(session, "role-director");
    await click(session, "tab-roster");
    await waitText(session, "roster-count", "of 500");
    await click(session, "roster-add");
    await type(session, "entrant-bib", "900");
    await type(session, "entrant-race", "5K");
    await type(session, "entrant-first_name", "Wendy");
    await type(session, "entrant-last_name", "Walkup");
    await type(session, "entrant-gender", "Q");
    await type(session, "entrant-age", "44");
    await click(session, "entrant-save");
    await waitText(session, "entrant-error-gender", "is not a gender");
    await waitText(session, "entrant-error-bib", "outside the bibs of 5K");
    screenshot("06-entrant-invalid");
    await type(session, "entrant-gender", "F");
    await type(session, "entrant-bib", "3900");
    await (await find(session, "entrant-bib")).sendKeys(Key.ENTER);
    await waitText(session, "roster-count", "of 501");
    await type(session, "roster-search", "wendy walkup");
    await waitText(session, "roster-count", "1 of 501");
    await stop(app);
  });

  it("switches to Korean and back, and remembers it", async () => {
    const dir = tempDir("korean");
    let app = await start(dir);
    let { session } = app;
    await click(session, "role-director");
    await waitText(session, "nav-setup", "Setup");
    await choose(session, "language", "ko");
    await waitText(session, "nav-setup", "설정");
    await waitText(session, "tab-races", "종목");
    screenshot("07-korean");
    await stop(app);

    app = await start(dir);
    session = app.session;
    await waitText(session, "nav-setup", "설정", 20000);
    await choose(session, "language", "en");
    await waitText(session, "nav-setup", "Setup");
    screenshot("08-english-again");
    await stop(app);
  });

  it("opens a 100,000-entrant event and filters it within a frame", async () => {
    const dir = tempDir("big");
    const db = path.join(dir, "big.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "100000"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "contrast", role: "director" } }));
    const app = await start(dir);
    const { session } = app;
    await waitText(session, "event-title", "Pyongyang", 20000);
    const before = memoryMiB(dir);
    console.log(`100,000 entrants, event open: RSS ${before.rss.toFixed(0)} MiB, PSS ${before.pss.toFixed(0)} MiB in ${before.processes} processes`);
    await (await find(session, "tab-roster", 20000)).click();
    await waitText(session, "roster-count", "100000 of 100000", 60000);
    const search = await find(session, "roster-search");
    // From a keystroke to the first frame painted with its answer (the count
    // of matches changes with every one of these queries), as a person sees it.
    const times = [];
    for (const query of ["k", "ki", "kim", "kim j", "pak kum", "koryo", "3900"]) {
      times.push(
        await session.executeAsyncScript(
          `const [input, value, done] = arguments;
           const count = document.querySelector('[data-testid="roster-count"]');
           const before = count.textContent;
           const t0 = performance.now();
           const observer = new MutationObserver(() => {
             if (count.textContent === before) return;
             observer.disconnect();
             requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
           });
           observer.observe(count, { childList: true, characterData: true, subtree: true });
           input.value = value;
           input.dispatchEvent(new Event("input", { bubbles: true }));
           setTimeout(() => { observer.disconnect(); done(-1); }, 5000);`,
          search,
          query,
        ),
      );
    }
    assert.ok(times.every((t) => t >= 0), `every query changed the count: ${times}`);
    times.sort((a, b) => a - b);
    console.log(`100,000 entrants: keystroke to the painted answer, median ${times[3].toFixed(1)} ms, worst ${times[6].toFixed(1)} ms`);
    if (process.env.RACEDESK_E2E_PS) execFileSync("sh", ["-c", "ps -eo rss,comm --sort=-rss | head -5"], { stdio: "inherit" });
    const after = memoryMiB(dir);
    console.log(`100,000 entrants, roster shown: RSS ${after.rss.toFixed(0)} MiB, PSS ${after.pss.toFixed(0)} MiB in ${after.processes} processes`);
    screenshot("09-hundred-thousand-contrast");
    const rows = await session.findElements(byTest("roster-row"));
    assert.ok(rows.length < 100, "the list stays virtualised");
    await stop(app);
  });

  it("warns loudly of a file that lost its WAL or is behind its backup, in Korean too, and opens the backup", async () => {
    const dir = tempDir("behind");
    const db = path.join(dir, "stick.racedesk");
    const backups = path.join(dir, "backups");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "50"]);
    // The file as copied to a stick before the finish, then three finishes
    // and a backup; then the old copy is put back in its place, with the
    // -shm of a file copied while open but not its -wal.
    copyFileSync(db, `${db}.old`);
    execFileSync(CLI, ["--db", db, "record"], { input: "1 10:00:00\n2 10:01:00\n3 10:02:00\n" });
    execFileSync(CLI, ["--db", db, "backup", "--to", backups]);
    copyFileSync(`${db}.old`, db);
    writeFileSync(`${db}-shm`, "");
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "ko", theme: "dark", role: "finish", desk: "Finish" } }));
    const app = await start(dir);
    const { session } = app;
    const lost = await waitText(session, "file-warning-lostWal", "-wal", 20000);
    assert.match(await lost.getText(), /경고/);
    const behind = await waitText(session, "file-warning-behindBackup", "stick-");
    assert.match(await behind.getText(), /3건 적습니다/);
    screenshot("09-file-behind-backup-ko");
    await choose(session, "language", "en");
    await waitText(session, "file-warning-behindBackup", "holds 3 fewer captured rows than its backup");
    await click(session, "open-backup");
    await session.wait(async () => (await session.findElements(byTest("file-warning-behindBackup"))).length === 0, 10000, "the warning stays after opening the backup");
    assert.equal((await session.findElements(byTest("file-warning-lostWal"))).length, 0, "the backup has its WAL");
    await stop(app);
    const settings = JSON.parse(readFileSync(path.join(dir, "settings.json"), "utf8"));
    assert.match(settings.lastEvent, /backups\/stick-.*\.racedesk$/, "the backup is the event file now");
  });

  it("merges another station's copy of the event from a stick, once", async () => {
    const dir = tempDir("merge");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "40"]);
    // The other desk's copy, with a check-in this laptop has not seen.
    const other = path.join(dir, "desk-b.racedesk");
    copyFileSync(db, other);
    const runner = JSON.parse(execFileSync(CLI, ["--db", other, "roster", "list", "--format", "json"], { encoding: "utf8" }))[0];
    execFileSync(CLI, ["--db", other, "checkin", runner.bib], { env: { ...process.env, RACEDESK_STATION: "desk-b" } });
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "director" } }));
    const app = await start(dir);
    const { session } = app;
    await waitText(session, "event-title", "Pyongyang", 20000);
    await click(session, "tab-event");
    // As a director types: into the field that has the focus, then Tab to
    // the merge button and Enter.
    await click(session, "open-path");
    const press = pressOn(session);
    await press(other);
    for (let i = 0; i < 6 && (await session.switchTo().activeElement().getAttribute("data-testid")) !== "open-merge"; i++) await press(Key.TAB);
    assert.equal(await session.switchTo().activeElement().getAttribute("data-testid"), "open-merge", "Tab reaches the merge button");
    await press(Key.ENTER);
    await waitText(session, "merge-message", "1 new (1 check-ins and undos), 4 already here");
    const counts = JSON.parse(execFileSync(CLI, ["--db", db, "checkin", "status", "--format", "json"], { encoding: "utf8" }));
    assert.equal(counts.total.checkedIn, 1, "the other desk's check-in is in this event now");
    await press(Key.ENTER);
    await waitText(session, "merge-message", "0 new (nothing new), 5 already here");
    await stop(app);
  });
});

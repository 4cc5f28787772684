// The screens at the sizes race-day laptops have (1366x768, the common cheap
// one; 1280 px wide), in both languages and all three themes: the finish
// line keeps its capture box in one place with a screenful of captures,
// every results table is whole, exports speak the chosen language, and
// Korean forms ask the family name first. Keys go to whatever has the
// focus, as a person's do.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Key } from "selenium-webdriver";
import { CLI, byTest, choose, click, closeAll, find, pressOn, rectOf, resize, screenshot, start, stop, tempDir, type, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
const roster = (db) => JSON.parse(cli(db, "roster", "list", "--format", "json"));
const settings = (dir, db, preferences) =>
  writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { desk: "Finish A", ...preferences } }));
const alt = (session, key) => session.actions({ async: true }).keyDown(Key.ALT).sendKeys(key).keyUp(Key.ALT).perform();

/** How many of the elements `selector` finds lie wholly inside the window. */
const visibleCount = (session, selector) =>
  session.executeScript(`return [...document.querySelectorAll(${JSON.stringify(selector)})].filter((e) => { const r = e.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }).length`);

describe("the screens at 1366x768", () => {
  it("keeps the finish line's capture box in one place, with a big last capture and a screenful of captures", async () => {
    const dir = tempDir("finish-small");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "300"]);
    const runners = roster(db);
    settings(dir, db, { language: "en", theme: "light", role: "finish" });
    const app = await start(dir, "finish-bib");
    const { session } = app;
    const press = pressOn(session);
    const size = await resize(session, 1366, 768);

    // Races start with the mouse and Enter: the strip keeps its height,
    // the box does not move.
    await click(session, "rehearsal");
    await waitText(session, "not-race-day", "REHEARSAL");
    const rehearsing = await rectOf(session, "finish-bib");
    for (const race of ["HALF", "10K", "5K", "MAR-Elite"]) {
      await click(session, `start-${race}`);
      await press(Key.ENTER);
      await find(session, `clock-time-${race}`);
    }
    assert.deepEqual(await rectOf(session, "finish-bib"), rehearsing, "starting races moves nothing");

    // Twelve finishers, bib and time: each recorded, the last one in big
    // type with its name, race and time since the gun.
    await click(session, "mode-bibAndTime");
    const finishers = ["10K", "5K", "HALF"].flatMap((race) => runners.filter((r) => r.race === race).slice(0, 4));
    for (const runner of finishers) {
      await press(runner.bib, Key.ENTER);
      await waitText(session, "finish-message", `${runner.bib} recorded at`);
    }
    const lastOne = finishers.at(-1);
    const line = await (await find(session, "last-capture")).getText();
    const name = lastOne.native_name || `${lastOne.first_name} ${lastOne.last_name}`.trim();
    assert.ok(line.includes(lastOne.bib) && line.includes(name) && line.includes(lastOne.race), line);
    assert.match(line, /\b0:0\d:\d\d\b/, "the time since the gun");
    screenshot("60-finish-1366x768", [1366, 768]);
    const visible = await visibleCount(session, '[data-testid="finish-reads"] tbody tr');
    assert.ok(visible >= 8, `${visible} captures above the fold at ${size.join("x")}, not at least 8`);

    // Every mode, every theme: the box in the same place within a theme,
    // high in the window; the gun-time form is a dialog over the screen.
    const modes = ["timeThenBib", "twoOperators", "bibAndTime"];
    for (const theme of ["light", "dark", "contrast"]) {
      await choose(session, "theme", theme);
      await click(session, "mode-timeThenBib");
      const place = await rectOf(session, "finish-bib");
      assert.ok(place[1] + place[3] < size[1] / 2, `${theme}: the box sits in the top half (${place})`);
      for (const mode of modes) {
        await click(session, `mode-${mode}`);
        assert.deepEqual(await rectOf(session, "finish-bib"), place, `${theme}, ${mode}: the box stays put`);
      }
      await click(session, "gun-open");
      await find(session, "gun-dialog");
      assert.deepEqual(await rectOf(session, "finish-bib"), place, `${theme}: the dialog moves nothing`);
      await press(Key.ESCAPE);
      await session.wait(async () => (await session.findElements(byTest("gun-dialog"))).length === 0, 5000);
      screenshot(`61-finish-${theme}`, [1366, 768]);
    }

    // Two operators: taps and bibs, and the pairs show above the fold.
    await choose(session, "theme", "light");
    await click(session, "mode-twoOperators");
    for (let i = 0; i < 8; i++) await press(" ");
    await waitText(session, "pairs-counts", "8 times tapped");
    for (const runner of runners.filter((r) => r.race === "10K").slice(4, 12)) await press(runner.bib, Key.ENTER);
    await waitText(session, "pairs-counts", "8 bibs typed");
    const pairs = await visibleCount(session, '[data-testid="pairs"] tbody tr');
    assert.ok(pairs >= 6, `${pairs} pairs above the fold, not at least 6`);
    screenshot("62-finish-two-operators-1366x768", [1366, 768]);
    await stop(app);
  });

  it("draws every results table whole at 1280 px, with or without checkpoints, and exports in the language chosen", async () => {
    const dir = tempDir("results-small");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "300"]);
    const runners = roster(db);
    // Three 5K finishers (no checkpoints), Korean names first; three
    // marathoners with every split.
    const fiveK = runners.filter((r) => r.race === "5K").sort((a, b) => Number(Boolean(b.native_name)) - Number(Boolean(a.native_name))).slice(0, 3);
    const mar = runners.filter((r) => r.race === "MAR").slice(0, 3);
    cli(db, "start", "5K", "--at", "09:00:00");
    for (const wave of ["Elite", "A", "B"]) cli(db, "start", "MAR", "--wave", wave, "--at", "07:30:00");
    let reads = "bib,time,point\n";
    fiveK.forEach((r, i) => (reads += `${r.bib},09:2${i}:00,finish\n`));
    mar.forEach((r, i) => {
      reads += `${r.bib},08:1${i}:00,10k\n${r.bib},09:0${i}:00,half\n${r.bib},09:5${i}:00,30k\n${r.bib},10:4${i}:00,finish\n`;
    });
    writeFileSync(path.join(dir, "reads.csv"), reads);
    cli(db, "reads", "import", path.join(dir, "reads.csv"));
    settings(dir, db, { language: "en", theme: "light", role: "director" });
    const app = await start(dir, "nav-results");
    const { session } = app;
    await resize(session, 1280, 800);
    await alt(session, "4");

    // The columns of a table: heads side by side, none cut, each row's
    // cells under their heads.
    const columns = () =>
      session.executeScript(`
        const cells = (e) => [...e.querySelectorAll(".cell")].map((c) => { const r = c.getBoundingClientRect(); return { left: Math.round(r.left), right: Math.round(r.right), cut: c.scrollWidth > c.clientWidth + 1, text: c.textContent }; });
        const head = document.querySelector('[data-testid="results-head"]');
        const row = document.querySelector('[data-testid="results-rows"] [role="row"]');
        const table = document.querySelector('[data-testid="results-table"]').getBoundingClientRect();
        return { head: cells(head), row: row ? cells(row) : [], table: { left: Math.round(table.left), right: Math.round(table.right) } };`);
    const whole = (shown, race) => {
      shown.head.forEach((cell, i) => {
        assert.ok(!cell.cut, `${race}: the head "${cell.text}" is cut`);
        if (i > 0) assert.ok(cell.left >= shown.head[i - 1].right - 1, `${race}: "${cell.text}" overlaps "${shown.head[i - 1].text}"`);
      });
      assert.equal(shown.row.length, shown.head.length, `${race}: a cell per head`);
      shown.row.forEach((cell, i) => assert.equal(cell.left, shown.head[i].left, `${race}: column ${i} lines up`));
    };

    await click(session, "results-race-5K");
    await waitText(session, "results-count", "3 of");
    await waitText(session, "results-shown", "Listed here: 3.");
    whole(await columns(), "5K");
    screenshot("63-results-5k-1280", [1280, 800]);

    // The marathon's splits: the table scrolls sideways as one, heads and
    // rows together, to the last split.
    await click(session, "results-race-MAR");
    await waitText(session, "results-count", "3 of");
    await session.executeScript(`const t = document.querySelector('[data-testid="results-table"]'); t.scrollLeft = t.scrollWidth;`);
    const scrolled = await columns();
    whole(scrolled, "MAR");
    assert.equal(scrolled.head.at(-1).text, "30k");
    assert.ok(scrolled.head.at(-1).right <= scrolled.table.right + 1, "the last split is reachable");
    screenshot("64-results-marathon-1280", [1280, 800]);

    // Exports grouped: files, printing, files to print.
    await find(session, "exports-files");
    // A Korean CSV beside the English one: the screen's words, Hangul names.
    await click(session, "results-race-5K");
    await choose(session, "export-language", "ko");
    await click(session, "export-csv");
    await waitText(session, "results-message", "results-5K-ko.csv");
    const csv = readFileSync(path.join(dir, "results", "results-5K-ko.csv"), "utf8");
    const [header, first] = csv.trim().split("\n");
    assert.ok(header.startsWith("순위,배번,이름,한글 이름,성별,나이,국적,부문,성별 순위,부문 순위,건 타임,넷 타임,상태"), header);
    assert.ok(first.startsWith(`1,${fiveK[0].bib},`), first);
    if (fiveK[0].native_name) assert.ok(first.includes(fiveK[0].native_name), first);
    assert.ok(first.endsWith(",완주"), first);

    // The Korean screen: the same words, none cut.
    await alt(session, "k");
    await waitText(session, "results-count", "참가자");
    whole(await columns(), "5K in Korean");
    screenshot("65-results-ko-1280", [1280, 800]);
    await stop(app);
  });

  it("asks a Korean volunteer for the family name first", async () => {
    const dir = tempDir("name-order");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "20"]);
    settings(dir, db, { language: "ko", theme: "light", role: "desk" });
    const app = await start(dir, "desk-search");
    const { session } = app;
    await alt(session, "w");
    const labels = async () =>
      session.executeScript(`return [...document.querySelectorAll('[data-testid="screen-checkin"] label')].map((l) => l.textContent.trim())`);
    const ko = await labels();
    const family = ko.findIndex((l) => l.startsWith("성") && !l.startsWith("성별"));
    const given = ko.findIndex((l) => l.startsWith("이름"));
    assert.ok(family >= 0 && given > family, `성 before 이름: ${ko.join(" | ")}`);
    await alt(session, "k");
    await session.wait(async () => (await labels()).some((l) => l.startsWith("Given name")), 5000);
    const en = await labels();
    assert.ok(en.findIndex((l) => l.startsWith("Given name")) < en.findIndex((l) => l.startsWith("Family name")), en.join(" | "));
    await stop(app);
  });

  it("says the core's refusals in Korean to a Korean volunteer", async () => {
    const dir = tempDir("korean-refusal");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "20"]);
    settings(dir, db, { language: "ko", theme: "light", role: "director" });
    const app = await start(dir, "nav-setup");
    const { session } = app;
    await alt(session, "r");
    await type(session, "race-code", "10K");
    await type(session, "race-name", "또 하나의 10 km");
    await type(session, "race-distance", "10000");
    await pressOn(session)(Key.ENTER);
    const said = await waitText(session, "races-error", "10K 종목이 이미 있습니다");
    assert.doesNotMatch(await said.getText(), /[a-z]{4,}/, "no English sentence");
    // The CLI keeps its English.
    const refused = spawnSync(CLI, ["--db", db, "race", "add", "--code", "10K", "--name", "Again", "--distance-m", "10000"], { encoding: "utf8" });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /there is already a race 10K/);
    await stop(app);
  });

  it("shows every screen whole in both languages and all three themes", async () => {
    const dir = tempDir("looks");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "200"]);
    cli(db, "start", "10K", "--at", "09:00:00");
    const tenK = roster(db).filter((r) => r.race === "10K").slice(0, 5);
    writeFileSync(path.join(dir, "reads.csv"), "bib,time\n" + tenK.map((r, i) => `${r.bib},09:4${i}:00`).join("\n") + "\n");
    cli(db, "reads", "import", path.join(dir, "reads.csv"));
    settings(dir, db, { language: "en", theme: "light", role: "director" });
    const app = await start(dir, "nav-setup");
    const { session } = app;
    await resize(session, 1366, 768);
    const screens = [
      ["1", "setup"],
      // Setup's races (their forms) and network (results on phones) tabs.
      ["1", "races", "tab-races"],
      ["1", "network", "tab-network"],
      ["2", "checkin"],
      ["3", "finish"],
      ["4", "results"],
      // Results → the announcer's screen (Alt+A), then still on the
      // course (Alt+O), over the results.
      ["a", "announcer"],
      ["o", "still-out"],
    ];
    const problems = [];
    for (const language of ["en", "ko"]) {
      await choose(session, "language", language);
      for (const theme of ["light", "dark", "contrast"]) {
        await choose(session, "theme", theme);
        for (const [key, screen, tab] of screens) {
          await alt(session, key);
          if (tab) await click(session, tab);
          await find(session, screen === "still-out" || screen === "announcer" ? screen : tab ? tab : `screen-${screen}`);
          await new Promise((r) => setTimeout(r, 300));
          const [wide, leak] = await session.executeScript(`
            const text = document.body.innerText;
            return [document.documentElement.scrollWidth - window.innerWidth,
                    (text.match(/\\b(?:app|nav|setup|event|races|import|roster|field|desk|group|walkup|counts|finish|pairs|results|status|flag|file|prefs|start|course|site|poster|network)\\.[a-zA-Z_]+\\b/g) || []).filter((k) => !/\\.(csv|xlsx|json|html|racedesk|db)$/.test(k))];`);
          if (wide > 0) problems.push(`${language} ${theme} ${screen}: ${wide} px wider than the window`);
          if (leak.length) problems.push(`${language} ${theme} ${screen}: untranslated ${leak.join(", ")}`);
          screenshot(`70-${language}-${theme}-${screen}`, [1366, 768]);
        }
      }
    }
    assert.deepEqual(problems, []);
    await stop(app);
  });
});

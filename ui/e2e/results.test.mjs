// End-to-end test of live results in the real window: finishes captured on
// the finish screen show up in the results with the right places, and the
// exports land in the results folder as files their readers open.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { By, Key } from "selenium-webdriver";
import { CLI, click, closeAll, find, screenshot, start, stop, tempDir, type, waitText } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8" });

describe("live results in the window", () => {
  it("shows captured finishers with their places and exports CSV and HTML", async () => {
    const dir = tempDir("results");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "300"]);
    const tenK = JSON.parse(cli(db, "roster", "list", "--format", "json")).filter((r) => r.race === "10K").slice(0, 3);
    assert.equal(tenK.length, 3);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "en", theme: "light", role: "finish", desk: "Finish" } }));
    const app = await start(dir, "finish-bib");
    const { session } = app;

    // The gun, then (bib and time) three finishers in this order.
    await click(session, "start-10K");
    await find(session, "clock-time-10K");
    const box = await find(session, "finish-bib");
    await box.sendKeys(Key.chord(Key.ALT, "m"));
    for (const runner of [tenK[1], tenK[0], tenK[2]]) {
      await box.sendKeys(runner.bib, Key.ENTER);
      await waitText(session, "finish-message", `${runner.bib} recorded at`);
    }

    // The results screen: the 10K has them at places 1, 2, 3.
    await box.sendKeys(Key.chord(Key.ALT, "4"));
    await click(session, "results-race-10K");
    await waitText(session, "results-count", "3 of");
    screenshot("40-results");
    const placeOf = async (bib) => (await (await (await find(session, `result-${bib}`)).findElement(By.css(".cell"))).getAttribute("textContent")).trim();
    assert.equal(await placeOf(tenK[1].bib), "1");
    assert.equal(await placeOf(tenK[0].bib), "2");
    assert.equal(await placeOf(tenK[2].bib), "3");
    // A search narrows to one runner.
    await type(session, "results-search", tenK[2].bib);
    await waitText(session, "results-count", "1 shown");
    await (await find(session, "results-search")).sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
    await waitText(session, "results-count", "3 shown");

    // Exports: this race as CSV, every race as one HTML page.
    await click(session, "export-csv");
    await waitText(session, "results-message", "results-10K.csv");
    await click(session, "export-all-html");
    await waitText(session, "results-message", "results.html");
    const csv = readFileSync(path.join(dir, "results", "results-10K.csv"), "utf8");
    const lines = csv.trim().split("\n");
    assert.ok(lines[0].startsWith("place,bib,name,gender,age,category,gender_place,category_place,gun_time,net_time,status"), lines[0]);
    assert.ok(lines[1].startsWith(`1,${tenK[1].bib},`), lines[1]);
    assert.equal(lines.length, 4);
    assert.ok(existsSync(path.join(dir, "results", "results.html")));
    const html = readFileSync(path.join(dir, "results", "results.html"), "utf8");
    assert.ok(html.includes(`<td>${tenK[1].bib}</td>`), "the page lists the finishers");

    // The announcer's view: the last finisher first, in big type.
    await (await find(session, "results-search")).sendKeys(Key.chord(Key.ALT, "a"));
    await waitText(session, "announcer", `${tenK[2].first_name}`);
    screenshot("41-announcer");
    await stop(app);
  });
});

// A Korean volunteer's screens say nothing in English: a form refused, a
// runner checked in twice, a capture flagged for a look, each read from the
// real window with the app set to Korean. The core's messages arrive as
// keys and are said from ko.json.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Key } from "selenium-webdriver";
import { CLI, choose, click, closeAll, find, pressOn, screenshot, start, stop, tempDir, type } from "./harness.mjs";

after(closeAll);

const cli = (db, ...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8" });

/** Runs of three or more lowercase Latin words: an English sentence (names
 *  are capitalised, codes and keys are single words). */
const english = (text) => text.match(/\b[a-z]+(?:[ ,']+[a-z]+){2,}\b/g) ?? [];

async function shownText(session) {
  return session.executeScript("return document.body.innerText");
}

async function noEnglish(session, what) {
  const text = await shownText(session);
  assert.deepEqual(english(text), [], `${what}: English on a Korean screen:\n${text}`);
  return text;
}

describe("the app in Korean", () => {
  it("says a refused form, a second check-in and a flagged capture in Korean only", async () => {
    const dir = tempDir("korean");
    const db = path.join(dir, "event.racedesk");
    execFileSync(CLI, ["--db", db, "demo", "--entrants", "100"]);
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify({ lastEvent: db, preferences: { language: "ko", theme: "light", role: "desk", desk: "접수 1" } }));
    const runner = JSON.parse(cli(db, "roster", "list", "--format", "json")).find((r) => r.race === "10K");
    const app = await start(dir, "desk-search");
    const { session } = app;
    const press = pressOn(session);
    const alt = (key) => session.actions({ async: true }).keyDown(Key.ALT).sendKeys(key).keyUp(Key.ALT).perform();

    // A walk-up with a gender that is not one: refused beside the field.
    await alt("w");
    await choose(session, "walkup-race", "5K");
    await type(session, "walkup-first_name", "Wendy");
    await type(session, "walkup-last_name", "Walkup");
    await type(session, "walkup-gender", "Q");
    await type(session, "walkup-age", "34");
    await click(session, "walkup-save");
    const error = await find(session, "walkup-error-gender");
    await session.wait(async () => (await error.getText()).includes("성별이 아닙니다"), 5000, "the field's reason in Korean");
    await noEnglish(session, "walk-up refused");
    await click(session, "checkin-tab-desk");

    // The same runner checked in twice: the second says so, in Korean.
    await type(session, "desk-search", `${runner.first_name} ${runner.last_name}`);
    await find(session, `desk-row-${runner.bib}`);
    await press(Key.ENTER);
    await session.wait(async () => JSON.parse(cli(db, "checkin", "status", "--format", "json")).total.checkedIn === 1, 5000, "checked in");
    await type(session, "desk-search", `${runner.first_name} ${runner.last_name}`);
    await find(session, `desk-row-${runner.bib}`);
    await press(Key.ENTER);
    await session.wait(async () => /이미/.test(await shownText(session)), 5000, "the second check-in is said");
    screenshot("80-ko-checkin-twice");
    await noEnglish(session, "a second check-in");

    // At the finish, a bib nobody entered: captured, and flagged in Korean.
    await alt("3");
    await find(session, "finish-bib");
    await alt("m");
    await press("9999", Key.ENTER);
    await session.wait(async () => (await shownText(session)).includes("명단에 없는 배번"), 5000, "the flag in Korean");
    screenshot("81-ko-finish-flag");
    await noEnglish(session, "a flagged capture");
    assert.equal(JSON.parse(cli(db, "reads", "list", "--format", "json"))[0].flags[0], "unknown_bib");
    await stop(app);
  });
});

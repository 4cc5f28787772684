// The results site phones open at the venue, read in a real browser
// (Debian's Chromium, headless, driven by Playwright) at a phone's size:
// served by `racedesk publish` on a demo event, with finishes recorded by
// `racedesk record` in another process as a finish station would.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { CLI, SHOTS } from "./harness.mjs";

const dir = mkdtempSync(path.join(tmpdir(), "racedesk-e2e-site-"));
const db = path.join(dir, "event.racedesk");
const racedesk = (...args) => execFileSync(CLI, ["--db", db, ...args], { encoding: "utf8" });
const record = (lines, point = "finish") =>
  execFileSync(CLI, ["--db", db, "record", "--point", point], { input: lines.join("\n") + "\n", encoding: "utf8" });

let site;
let url;
let browser;
let roster;

before(async () => {
  racedesk("demo", "--entrants", "300");
  roster = JSON.parse(racedesk("roster", "list", "--format", "json"));
  racedesk("start", "MAR", "--at", "09:00:00");
  // Twenty marathon runners home, at 10k and at the finish, a minute apart.
  const mar = roster.filter((r) => r.race === "MAR").slice(0, 21);
  record(mar.slice(0, 20).map((r, i) => `${r.bib} 09:${String(40 + i).padStart(2, "0")}:00`), "10k");
  record(mar.slice(0, 20).map((r, i) => `${r.bib} 12:${String(10 + i).padStart(2, "0")}:00`));
  site = spawn(CLI, ["--db", db, "publish", "--listen", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "inherit"] });
  url = await new Promise((resolve, reject) => {
    let out = "";
    site.stdout.on("data", (chunk) => {
      out += chunk;
      const line = /^publish (\S+)/m.exec(out);
      if (line) resolve(line[1]);
    });
    site.on("exit", (code) => reject(new Error(`racedesk publish exited with ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    // Playwright gives each launch a new, empty profile folder of its own.
  });
});

after(async () => {
  await browser?.close();
  site?.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** A phone's page that keeps every response body it received. */
async function phone(locale = "en-GB") {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, locale, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const bodies = [];
  page.on("response", async (response) => {
    if ((response.headers()["content-type"] ?? "").startsWith("text/event-stream")) return;
    try {
      bodies.push(await response.text());
    } catch {
      // A response the page navigated away from before it was read.
    }
  });
  return { page, bodies };
}

const noSideScroll = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test("a phone finds a runner by Hangul and by romanisation, sees their places and splits, and nothing private", async () => {
  const { page, bodies } = await phone();
  await page.goto(url);
  assert.match(await page.textContent("nav.races"), /Marathon/);
  assert.ok(await noSideScroll(page), "the home page scrolls sideways on a phone");

  // The winner (the first recorded) by the Hangul name, or a Korean runner.
  const mar = roster.filter((r) => r.race === "MAR").slice(0, 20);
  const korean = mar.find((r) => r.native_name && /[가-힣]/.test(r.native_name));
  assert.ok(korean, "the demo's first marathon finishers include a Korean name");
  await page.fill("input[name=q]", korean.native_name);
  await page.press("input[name=q]", "Enter");
  await page.waitForSelector(`a[href="/runner/${korean.bib}"]`);
  // The same runner by the Latin spelling of their Hangul name, family first.
  await page.fill("input[name=q]", `${korean.last_name} ${korean.first_name}`.toLowerCase());
  await page.press("input[name=q]", "Enter");
  await page.click(`a[href="/runner/${korean.bib}"]`);
  const place = mar.indexOf(korean) + 1;
  const text = await page.textContent("main");
  assert.match(text, new RegExp(`${place} of 20`), text);
  assert.match(text, /10k/, "the 10k split is shown");
  assert.match(text, new RegExp(`0:${40 + place - 1}:00`), text);
  assert.ok(await page.isVisible(".certificate"));
  assert.ok(await noSideScroll(page), "the runner's page scrolls sideways on a phone");
  await page.screenshot({ path: path.join(SHOTS, "site-runner-phone.png") });

  await page.goto(`${url}race/MAR`);
  assert.ok(await noSideScroll(page), "the race page scrolls sideways on a phone");
  await page.screenshot({ path: path.join(SHOTS, "site-race-phone.png") });

  const all = bodies.join("\n");
  assert.ok(all.includes(korean.native_name));
  for (const runner of roster) {
    for (const field of ["phone", "chip", "birth_date", "emergency_contact", "medical_note"]) {
      const value = runner[field];
      if (value && value.length >= 5) assert.ok(!all.includes(value), `the site sent ${runner.bib}'s ${field}: ${value}`);
    }
  }
});

test("a finish captured at the finish station appears on an open page within 2 s, without a reload", async () => {
  const { page } = await phone("ko-KR");
  await page.goto(`${url}?lang=ko`);
  assert.equal(await page.getAttribute("html", "lang"), "ko");
  await page.evaluate(() => (document.body.dataset.stillHere = "yes"));
  const next = roster.filter((r) => r.race === "MAR")[20];
  record([`${next.bib} 12:45:00`]);
  const recorded = Date.now();
  await page.waitForSelector(`main a[href="/runner/${next.bib}"]`, { timeout: 2000 });
  const waited = Date.now() - recorded;
  assert.equal(await page.evaluate(() => document.body.dataset.stillHere), "yes", "the page reloaded");
  console.log(`a new finish reached the open page ${waited} ms after racedesk record returned`);
  await page.screenshot({ path: path.join(SHOTS, "site-home-phone-ko.png") });
});

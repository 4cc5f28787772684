import { describe, expect, it } from "vitest";
import { clock, clockMs } from "./clock";

describe("clock", () => {
  it("shows the time in the event's zone, not the laptop's", () => {
    // 2027-04-11 00:30:05 UTC is 09:30:05 in Pyongyang (UTC+9).
    const at = Date.UTC(2027, 3, 11, 0, 30, 5);
    expect(clock(at, "Asia/Pyongyang")).toBe("09:30:05");
    expect(clock(at, "Europe/London")).toBe("01:30:05");
  });
  it("falls back to the laptop's zone for an unknown zone", () => {
    expect(clock(0, "Not/AZone")).toMatch(/^\d\d:\d\d:\d\d$/);
  });
});

import { elapsed } from "./clock";

describe("elapsed", () => {
  it("shows a race clock as H:MM:SS, rounded down while it runs", () => {
    expect(elapsed(0)).toBe("0:00:00");
    expect(elapsed(7_235_999)).toBe("2:00:35");
    expect(elapsed(-61_000)).toBe("-0:01:01");
  });
});

describe("clockMs", () => {
  it("keeps the milliseconds a time field needs", () => {
    const at = Date.UTC(2027, 3, 11, 0, 30, 5, 7);
    expect(clockMs(at, "Asia/Pyongyang")).toBe("09:30:05.007");
    expect(clockMs(at + 993, "Asia/Pyongyang")).toBe("09:30:06.000");
  });
});

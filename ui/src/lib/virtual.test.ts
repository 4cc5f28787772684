import { describe, expect, it } from "vitest";
import { visibleRows } from "./virtual";

describe("visibleRows", () => {
  it("renders only what is on screen, plus a margin", () => {
    const w = visibleRows(100_000, 36, 36 * 5000, 720, 8);
    expect(w.first).toBe(4992);
    expect(w.last).toBe(5028);
    expect(w.offset).toBe(4992 * 36);
    expect(w.total).toBe(3_600_000);
    expect(w.last - w.first).toBeLessThan(50);
  });

  it("stays inside the list at both ends", () => {
    expect(visibleRows(10, 36, 0, 720)).toMatchObject({ first: 0, last: 10 });
    expect(visibleRows(0, 36, 500, 720)).toMatchObject({ first: 0, last: 0, total: 0 });
  });
});

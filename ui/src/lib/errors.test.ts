import { describe, expect, it } from "vitest";
import { asCommandError, fieldProblems } from "./errors";

describe("command errors", () => {
  it("maps a rejected form's problems to its fields", () => {
    const error = asCommandError({
      code: "invalid_entrant",
      message: "…",
      details: { problems: [{ row: 1, field: "gender", column: null, value: "Q", message: "'Q' is not a gender: use F, M or X" }] },
    });
    expect(fieldProblems(error).get("gender")).toBe("'Q' is not a gender: use F, M or X");
  });

  it("names the field of a single invalid value", () => {
    const error = asCommandError({ code: "invalid", message: "timeZone: 'Mars' is not a time zone", details: { field: "timeZone" } });
    expect(fieldProblems(error).get("timeZone")).toBe("'Mars' is not a time zone");
  });

  it("wraps anything else thrown", () => {
    expect(asCommandError("boom")).toEqual({ code: "internal", message: "boom", details: null });
  });
});

import { describe, expect, it } from "vitest";
import { asCommandError, errorText, fieldProblems } from "./errors";
import { setLanguage } from "./i18n.svelte";

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

  it("says the core's message in the screen's language, by its key", () => {
    globalThis.document = { documentElement: { lang: "" } } as unknown as Document;
    const error = { code: "conflict", message: "there is already a race 10K", details: { key: "error.race_exists", params: { code: "10K" } } };
    setLanguage("ko");
    expect(errorText(error)).toBe("10K 종목이 이미 있습니다");
    setLanguage("en");
    expect(errorText(error)).toBe("there is already a race 10K");
    // A message not yet a key keeps the core's English.
    expect(errorText({ code: "invalid", message: "age: 'x' is not a number", details: { field: "age" } })).toBe("age: 'x' is not a number");
  });

  it("wraps anything else thrown", () => {
    expect(asCommandError("boom")).toEqual({ code: "internal", message: "boom", details: null });
  });
});

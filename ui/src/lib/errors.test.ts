import { describe, expect, it } from "vitest";
import { asCommandError, errorText, fieldProblems } from "./errors";
import { setLanguage } from "./i18n.svelte";

describe("command errors", () => {
  it("maps a rejected form's problems to its fields, in the screen's language", () => {
    globalThis.document = { documentElement: { lang: "" } } as unknown as Document;
    const error = asCommandError({
      code: "invalid_entrant",
      message: "…",
      details: {
        problems: [
          { row: 1, field: "gender", column: null, value: "Q", message: "'Q' is not a gender: use F, M or X", key: "invalid.gender", params: { text: "Q" } },
        ],
      },
    });
    expect(fieldProblems(error).get("gender")).toBe("'Q' is not a gender: use F, M or X");
    setLanguage("ko");
    expect(fieldProblems(error).get("gender")).toBe("'Q'은(는) 성별이 아닙니다. F, M 또는 X를 쓰십시오");
    setLanguage("en");
  });

  it("names the field of a single invalid value from the error, not its text", () => {
    const error = asCommandError({
      code: "invalid",
      message: "timeZone: 'Mars' is not a time zone: use an IANA name such as Asia/Pyongyang or Europe/London",
      details: { field: "timeZone", key: "invalid.time_zone", params: { text: "Mars" } },
    });
    setLanguage("ko");
    expect(fieldProblems(error).get("timeZone")).toBe("'Mars'은(는) 시간대가 아닙니다. Asia/Pyongyang, Europe/London 같은 IANA 이름을 쓰십시오");
    setLanguage("en");
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

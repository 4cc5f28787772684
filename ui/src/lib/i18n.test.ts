import { describe, expect, it } from "vitest";
import en from "../i18n/en.json";
import ko from "../i18n/ko.json";
import { setLanguage, t, tAny } from "./i18n.svelte";

describe("i18n", () => {
  it("has every English key in Korean, and no other", () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
  });

  it("has no empty string in either language", () => {
    for (const [key, text] of [...Object.entries(en), ...Object.entries(ko)]) {
      expect(text.trim(), key).not.toBe("");
    }
  });

  it("keeps the same {placeholders} in both languages", () => {
    const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(names(ko[key]), key).toEqual(names(en[key]));
    }
  });

  it("switches language at run time and fills placeholders", () => {
    globalThis.document = { documentElement: { lang: "" } } as unknown as Document;
    setLanguage("ko");
    expect(t("nav.setup")).toBe("설정");
    expect(t("roster.count", { shown: 3, total: 10 })).toBe("참가자 10명 중 3명");
    setLanguage("en");
    expect(t("roster.count", { shown: 3, total: 10 })).toBe("3 of 10 entrants");
    expect(tAny("field.bib")).toBe("Bib");
    expect(tAny("no.such.key")).toBe("no.such.key");
  });
});

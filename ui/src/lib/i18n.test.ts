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

  it("keeps to the Korean glossary (src/i18n/GLOSSARY.md)", () => {
    // Words the glossary settled against: one word for one thing.
    const refused: [RegExp, string][] = [
      [/번호표/, "배번"],
      [/(?<!전화)번호(?!\s*담당)/, "배번"],
      [/스페이스/, "Space"],
      [/(?<!완)주자/, "선수"],
      [/계시/, "계측"],
      [/감독/, "대회 책임자"],
      [/체크인/, "접수"],
      [/경기일|대회 날/, "대회일"],
      [/출발 그룹/, "출발 조"],
      [/누르거나 누르/, "누르거나 클릭하"],
    ];
    for (const [key, text] of Object.entries(ko)) {
      for (const [word, instead] of refused) expect(text, `${key}: ${word} → ${instead}`).not.toMatch(word);
    }
    // A tap's time is a time of day (시각), never a duration (시간).
    for (const key of Object.keys(ko).filter((k) => k.startsWith("pairs.") || k.startsWith("finish."))) {
      expect((ko as Record<string, string>)[key], key).not.toMatch(/(?<!몇 |제한 )시간(?!대)/);
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

import { describe, expect, it } from "vitest";
import type { RosterLine } from "./bindings/RosterLine";
import { compareBibs, filterEntries, fold, sortEntries, toEntries } from "./roster";

function line(bib: string, first: string, last: string, extra: Partial<RosterLine> = {}): RosterLine {
  return {
    bib, first_name: first, last_name: last, native_name: null, gender: "F", birth_date: null, age: 30, country: "GBR", city: null, group: null, race: "MAR", chip: null, phone: null, emergency_contact: null, medical_note: null,
    ...extra,
  };
}

const lines = [
  line("10", "Anna", "Müller", { group: "Koryo Tours" }),
  line("2", "Kum Dong", "Pak", { native_name: "박금동", country: "PRK", age: 41 }),
  line("F1", "Rita", "Jeptoo", { country: "KEN", age: 33 }),
];

describe("roster search and sort", () => {
  it("folds accents, case and spaces", () => {
    expect(fold("Müller")).toBe("muller");
    expect(fold("Kum Dong")).toBe("kumdong");
  });

  it("finds by bib, name in any order, Hangul and group", () => {
    const entries = toEntries(lines);
    const bibs = (query: string) => filterEntries(entries, query).map((e) => e.line.bib);
    expect(bibs("muller")).toEqual(["10"]);
    expect(bibs("MÜLLER anna")).toEqual(["10"]);
    expect(bibs("pak kum")).toEqual(["2"]);
    expect(bibs("박금동")).toEqual(["2"]);
    expect(bibs("koryo")).toEqual(["10"]);
    expect(bibs("")).toEqual(["10", "2", "F1"]);
    expect(bibs("nobody")).toEqual([]);
  });

  it("sorts bibs naturally and other columns both ways", () => {
    expect(["10", "2", "F1", "1"].sort(compareBibs)).toEqual(["1", "2", "10", "F1"]);
    const entries = toEntries(lines);
    expect(sortEntries(entries, "bib", true).map((e) => e.line.bib)).toEqual(["2", "10", "F1"]);
    expect(sortEntries(entries, "age", false).map((e) => e.line.bib)).toEqual(["2", "F1", "10"]);
    expect(sortEntries(entries, "name", true).map((e) => e.line.last_name)).toEqual(["Jeptoo", "Müller", "Pak"]);
  });
});

// Searching and sorting the roster table in the window.
import type { RosterLine } from "./bindings/RosterLine";

/** Lower case without accents or spaces: Müller = muller, "Kim Ji-ho" = kimjiho. */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[\s\-_.,']/g, "");
}

export function searchKey(line: RosterLine): string {
  return fold(
    [line.bib, line.first_name, line.last_name, line.last_name + line.first_name, line.native_name ?? "", line.group ?? "", line.country ?? "", line.chip ?? ""].join("|"),
  );
}

export type SortKey = "bib" | "name" | "gender" | "age" | "country" | "race" | "group";

/** Natural order for bibs: 2 before 10, letters after numbers. */
export function compareBibs(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

function value(line: RosterLine, key: SortKey): string | number {
  switch (key) {
    case "name":
      return fold(line.last_name + " " + line.first_name);
    case "age":
      return line.age ?? -1;
    case "country":
      return line.country ?? "";
    case "group":
      return fold(line.group ?? "");
    default:
      return line[key];
  }
}

export interface Entry {
  line: RosterLine;
  key: string;
}

/** Each line with its search key, worked out once per load. */
export function toEntries(lines: RosterLine[]): Entry[] {
  return lines.map((line) => ({ line, key: searchKey(line) }));
}

export function sortEntries(entries: Entry[], key: SortKey, ascending: boolean): Entry[] {
  const sign = ascending ? 1 : -1;
  return [...entries].sort((a, b) => {
    if (key === "bib") return sign * compareBibs(a.line.bib, b.line.bib);
    const va = value(a.line, key);
    const vb = value(b.line, key);
    return sign * (va < vb ? -1 : va > vb ? 1 : compareBibs(a.line.bib, b.line.bib));
  });
}

/** Entries whose bib, names, group, country or chip hold every word of the query. */
export function filterEntries(entries: Entry[], query: string): Entry[] {
  const words = query.split(/\s+/).map(fold).filter((w) => w.length > 0);
  if (words.length === 0) return entries;
  return entries.filter((entry) => words.every((w) => entry.key.includes(w)));
}

// Every string the UI shows goes through t(): English and Korean, switched
// at runtime. A key missing from Korean falls back to English, and a test
// (i18n.test.ts) fails when the two files do not have the same keys.
import en from "../i18n/en.json";
import ko from "../i18n/ko.json";

export type Language = "en" | "ko";
export type Key = keyof typeof en;

const dictionaries: Record<Language, Record<string, string>> = { en, ko };

const state = $state({ language: "en" as Language });

export function language(): Language {
  return state.language;
}

export function setLanguage(language: Language): void {
  state.language = language;
  document.documentElement.lang = language;
}

/** The string for `key` in the current language, with {name} filled in. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  return tIn(state.language, key, params);
}

/** t() in a given language, whatever the UI's: a poster says both. */
export function tIn(language: Language, key: Key, params: Record<string, string | number> = {}): string {
  const text = dictionaries[language][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** t() for a key built at run time (a field or error code); the key itself when unknown. */
export function tAny(key: string, params: Record<string, string | number> = {}): string {
  return has(key) ? t(key, params) : key;
}

/** Whether a key exists, for codes that come from the core (error codes, fields). */
export function has(key: string): key is Key {
  return key in en;
}

/** Form fields in the reader's name order: in Korean the family name (성)
 *  comes before the given name (이름), as Korean names are written. */
export function inNameOrder<T extends { key: string }>(fields: T[]): T[] {
  if (state.language !== "ko") return fields;
  const out = [...fields];
  const given = out.findIndex((f) => f.key === "firstName");
  const family = out.findIndex((f) => f.key === "lastName");
  if (given >= 0 && family >= 0) [out[given], out[family]] = [out[family]!, out[given]!];
  return out;
}

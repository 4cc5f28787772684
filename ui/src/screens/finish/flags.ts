// The core names what a capture needs a look for in English words
// (`Read.flags`); the screens say them in the person's language.
import { has, tAny } from "../../lib/i18n.svelte";

export function flagText(flag: string): string {
  const key = "flag." + flag.replaceAll(" ", "_");
  return has(key) ? tAny(key) : flag;
}

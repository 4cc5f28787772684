// Errors from the core arrive as {code, message, details}; the UI branches
// on `code` and shows a translated sentence, with the core's message below.
import type { CommandError } from "./bindings/CommandError";
import type { Problem } from "./bindings/Problem";
import { has, tAny } from "./i18n.svelte";

export function isCommandError(value: unknown): value is CommandError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

/** The error as a CommandError, whatever was thrown. */
export function asCommandError(value: unknown): CommandError {
  if (isCommandError(value)) return value;
  return { code: "internal", message: String(value), details: null };
}

/** What to show a volunteer: the core's message in the screen's language
 *  where the core said it as a dictionary key, its English text otherwise. */
export function errorText(value: unknown): string {
  const error = asCommandError(value);
  const said = error.details as { key?: string; params?: Record<string, string> } | null;
  if (said?.key && has(said.key)) return tAny(said.key, said.params ?? {});
  return error.message;
}

/** The per-field problems of a rejected form, by field name. */
export function fieldProblems(error: CommandError): Map<string, string> {
  const problems = new Map<string, string>();
  const details = error.details as { problems?: Problem[]; field?: string } | null;
  for (const problem of details?.problems ?? []) {
    if (problem.field && !problems.has(problem.field)) problems.set(problem.field, problem.message);
  }
  if (details?.field) problems.set(details.field, error.message.replace(/^[^:]+: /, ""));
  return problems;
}

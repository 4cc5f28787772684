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
  const said = error.details as { key?: string; params?: Record<string, string>; problems?: Problem[] } | null;
  if (said?.key && has(said.key)) return tAny(said.key, said.params ?? {});
  // A form's problems: the first, in the screen's language.
  const first = said?.problems?.[0];
  if (first) return problemText(first);
  return error.message;
}

/** A problem of a roster file or a form, in the screen's language. */
export function problemText(problem: Problem): string {
  if (has(problem.key)) return tAny(problem.key, problem.params as Record<string, string>);
  return problem.message;
}

/** The per-field problems of a rejected form, by field name: the field
 *  and the reason both come from the error, never from its English text. */
export function fieldProblems(error: CommandError): Map<string, string> {
  const problems = new Map<string, string>();
  const details = error.details as { problems?: Problem[]; field?: string } | null;
  for (const problem of details?.problems ?? []) {
    if (problem.field && !problems.has(problem.field)) problems.set(problem.field, problemText(problem));
  }
  if (details?.field) problems.set(details.field, errorText(error));
  return problems;
}

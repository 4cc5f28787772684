// How this laptop's place on the venue's network is said, in words a
// volunteer understands: "3 check-ins waiting to be sent".
import type { LinkStatus } from "./bindings/LinkStatus";
import type { NetworkState } from "./bindings/NetworkState";
import { has, t, tAny } from "./i18n.svelte";

/** What the link holds that the hub has not confirmed, by kind. */
export function waitingText(link: LinkStatus): string {
  if (link.waiting === 0) return t("network.nothingWaiting");
  const parts = link.waitingByKind.map((w) => tAny(`network.waiting.${w.kind}`, { count: w.count }));
  return t("network.waitingToSend", { what: parts.join(", ") });
}

/** Seconds since `ms`, as "4 s" or "3 min". */
export function ago(ms: number | null, now: number): string {
  if (ms === null) return t("network.never");
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  return seconds < 120 ? t("network.secondsAgo", { count: seconds }) : t("network.minutesAgo", { count: Math.round(seconds / 60) });
}

/** A clock offset, signed, in ms or s. */
export function offsetText(ms: number | null): string {
  if (ms === null) return "—";
  const sign = ms > 0 ? "+" : ms < 0 ? "−" : "±";
  const abs = Math.abs(ms);
  return abs < 1000 ? `${sign}${abs} ms` : `${sign}${(abs / 1000).toFixed(1)} s`;
}

/** The link's last problem in the screen's language. */
export function linkProblem(link: LinkStatus): string | null {
  if (link.errorKey && has(link.errorKey)) return tAny(link.errorKey, link.errorParams as Record<string, string>);
  return link.error;
}

/** Whether the network needs a look: the hub unheard, or a station silent
 *  or with its clock off. */
export function needsLook(state: NetworkState): boolean {
  if (state.link && !state.link.connected) return true;
  return state.stations.some((s) => !s.removed && (s.silent || s.clockOff));
}

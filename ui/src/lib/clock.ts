// Times of day in the event's time zone, whatever the laptop's zone is.

/** HH:MM:SS of an instant (Unix epoch ms) in `timeZone`; the laptop's zone when it is unknown. */
export function clock(atMs: number, timeZone: string | undefined): string {
  const options: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat("en-GB", { ...options, timeZone }).format(atMs);
  } catch {
    return new Intl.DateTimeFormat("en-GB", options).format(atMs);
  }
}

/** HH:MM:SS.mmm of an instant in `timeZone`: what a time field takes back. */
export function clockMs(atMs: number, timeZone: string | undefined): string {
  const ms = ((Math.round(atMs) % 1000) + 1000) % 1000;
  return `${clock(atMs, timeZone)}.${String(ms).padStart(3, "0")}`;
}

/** A running race clock: H:MM:SS from the start to now (negative before the gun). */
export function elapsed(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor(total / 60) % 60;
  const s = total % 60;
  return `${sign}${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

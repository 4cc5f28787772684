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

// A QR code drawn as squares in an SVG path: crisp at any size, no image
// to load. The modules come from the core (rows of dark = true).

/** The path of the dark modules, inside a quiet zone of 4. */
export function qrSquares(modules: boolean[][]): string {
  return modules.flatMap((row, y) => row.map((dark, x) => (dark ? `M${x + 4},${y + 4}h1v1h-1z` : ""))).join("");
}

/** The width of the code with its quiet zone, for the viewBox. */
export function qrWidth(modules: boolean[][]): number {
  return modules.length + 8;
}

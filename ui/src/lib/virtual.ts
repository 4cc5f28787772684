// The rows of a long list that are on screen, so a 100,000-row table
// renders a few dozen rows at a time.

export interface Window {
  first: number;
  last: number;
  offset: number;
  total: number;
}

export function visibleRows(count: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 8): Window {
  const first = Math.min(count, Math.max(0, Math.floor(scrollTop / rowHeight) - overscan));
  const last = Math.min(count, Math.ceil((scrollTop + viewport) / rowHeight) + overscan);
  return { first, last: Math.max(first, last), offset: first * rowHeight, total: count * rowHeight };
}

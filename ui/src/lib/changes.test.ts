import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Backend } from "./backend";
import type { Change } from "./bindings/Change";
import { onFileChange } from "./changes";

/** A backend whose changes the test sends by hand. */
function fakeBackend() {
  let handler: ((change: Change) => void) | null = null;
  const backend = { onChange: async (h: (change: Change) => void) => ((handler = h), () => (handler = null)) } as unknown as Backend;
  const send = (change: Partial<Change>) => handler?.({ revision: 1, setup: false, checkins: false, timing: false, network: false, ...change });
  return { backend, send };
}

describe("reloading on changes of the file", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reloads on the kinds it wants, at most once a period, and never misses the last", async () => {
    const { backend, send } = fakeBackend();
    const reload = vi.fn();
    const stop = onFileChange(backend, (c) => c.timing, reload, 1000);
    await Promise.resolve();
    send({ checkins: true });
    vi.advanceTimersByTime(10);
    expect(reload).toHaveBeenCalledTimes(0);
    send({ timing: true });
    vi.advanceTimersByTime(10);
    expect(reload).toHaveBeenCalledTimes(1);
    // A burst within the period: one more reload when the period is up.
    send({ timing: true });
    send({ timing: true });
    vi.advanceTimersByTime(500);
    expect(reload).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(600);
    expect(reload).toHaveBeenCalledTimes(2);
    stop();
    send({ timing: true });
    vi.advanceTimersByTime(2000);
    expect(reload).toHaveBeenCalledTimes(2);
  });
});

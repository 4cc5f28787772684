// Screens reload when the open file changed, whoever changed it (this app,
// the CLI in a terminal, another process on the file), instead of polling.
import type { Backend } from "./backend";
import type { Change } from "./bindings/Change";

/** Calls `reload` on each change `wanted` cares about, at most once every
 *  `everyMs` (the last change is never missed: it reloads when the time
 *  is up), so a finish line taking several captures a second does not
 *  keep a heavy screen reloading. Returns the stop, for onMount to give
 *  back (so it runs when the screen goes). */
export function onFileChange(backend: Backend, wanted: (change: Change) => boolean, reload: () => void, everyMs = 500): () => void {
  let stop: (() => void) | null = null;
  let gone = false;
  let last = -Infinity;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    timer = null;
    last = Date.now();
    if (!gone) reload();
  };
  backend
    .onChange((change) => {
      if (!wanted(change) || timer !== null) return;
      timer = setTimeout(run, Math.max(0, last + everyMs - Date.now()));
    })
    .then((unlisten) => {
      if (gone) unlisten();
      else stop = unlisten;
    })
    .catch(() => {
      // No events (a test without the app): the screen still loads on its own actions.
    });
  return () => {
    gone = true;
    if (timer !== null) clearTimeout(timer);
    stop?.();
  };
}

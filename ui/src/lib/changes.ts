// Screens reload when the open file changed, whoever changed it (this app,
// the CLI in a terminal, another process on the file), instead of polling.
import type { Backend } from "./backend";
import type { Change } from "./bindings/Change";

/** Calls `reload` on each change `wanted` cares about; returns the stop,
 *  for onMount to give back (so it runs when the screen goes). */
export function onFileChange(backend: Backend, wanted: (change: Change) => boolean, reload: () => void): () => void {
  let stop: (() => void) | null = null;
  let gone = false;
  backend
    .onChange((change) => {
      if (wanted(change)) reload();
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
    stop?.();
  };
}

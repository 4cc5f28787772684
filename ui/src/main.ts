import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import AnnouncerWindow from "./AnnouncerWindow.svelte";
import { tauriBackend } from "./lib/backend";

const target = document.getElementById("app");
if (target) {
  // The announcer's window is the same page, asked for by its view.
  const view = new URLSearchParams(location.search).get("view");
  if (view === "announcer") {
    mount(AnnouncerWindow, { target, props: { backend: tauriBackend } });
  } else {
    mount(App, { target, props: { backend: tauriBackend } });
  }
}

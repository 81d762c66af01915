// Today / Upcoming: keep sending the outbox from the lists too (a technician who finished a visit offline
// and went back to the list still gets everything sent), and say where the changes are.

import { indicatorState, renderIndicator } from "./indicator.js";
import { Outbox, summarize } from "./outbox.js";
import { Sender } from "./sender.js";

const element = document.getElementById("outbox-indicator");
if (element && "indexedDB" in window) {
  const user = element.dataset.user ? Number(element.dataset.user) : null;
  const outbox = new Outbox();
  const sender = new Sender({ outbox, user });
  let items = [];
  let sending = false;
  let auth = false;
  const render = () => {
    const counts = summarize(items, { user });
    // On the lists the indicator only speaks when there is something to say.
    element.hidden = !counts.total && navigator.onLine;
    renderIndicator(element, indicatorState({ ...counts, online: navigator.onLine, sending, auth }), {
      loginUrl: element.dataset.loginUrl || "",
    });
  };
  const reload = async () => {
    items = await outbox.all();
    render();
  };
  outbox.addEventListener("change", reload);
  sender.addEventListener("busy", () => { sending = true; render(); });
  sender.addEventListener("idle", () => { sending = false; render(); });
  sender.addEventListener("auth", () => { auth = true; render(); });
  window.addEventListener("online", () => { auth = false; render(); });
  window.addEventListener("offline", render);
  reload().then(() => sender.start());
}

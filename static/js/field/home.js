// Today / Upcoming: keep sending the outbox from the lists too (a technician who finished a visit offline
// and went back to the list still gets everything sent), and say where the changes are.
//
// Without signal: the field app's service worker (registered here, with the organization as its scope) keeps
// the lists and, when a list is opened with signal, the pages of the visits it shows (Today also those of
// Upcoming), so the technician can open any of them in a basement. A list shown from the phone's copy says so:
// "No connection — this is the list as of 09:12".

import { indicatorState, renderIndicator } from "./indicator.js";
import { registerFieldWorker, requestBackgroundSend } from "./offline.js";
import { Outbox, summarize } from "./outbox.js";
import { Sender } from "./sender.js";
import { clockTime, h, icon } from "./util.js";

const FRESH_MS = 60 * 1000; // a list older than this may be the phone's copy: check the network

// --- The phone's copy of the list --------------------------------------------------------------------------

const list = document.getElementById("field-list");
const notice = document.getElementById("list-offline-notice");

function renderNotice(state) {
  if (!notice) return;
  if (!state) {
    notice.replaceChildren();
    return;
  }
  const asOf = clockTime(list.dataset.renderedAt);
  const text = state === "offline" ? `No connection — this is the list as of ${asOf}` : `Back online — this is the list as of ${asOf}`;
  notice.replaceChildren(
    h(
      "div",
      { class: `alert ${state === "offline" ? "alert-secondary" : "alert-info"} d-flex align-items-center gap-2 py-2 px-3 mb-3 small list-copy`, "data-state": state },
      icon(state === "offline" ? "wifi-off" : "arrow-clockwise"),
      h("span", { class: "flex-grow-1" }, text),
      state === "stale" ? h("a", { class: "alert-link text-nowrap", href: location.href }, "Refresh") : null,
    ),
  );
}

function age() {
  const rendered = Date.parse(list.dataset.renderedAt || "");
  return Number.isNaN(rendered) ? 0 : Date.now() - rendered;
}

/** Offline: the list is the phone's copy. Online but older than a minute: it may be the copy (the network did
 * not answer in time), so ask the network; only a failure says "no connection". */
async function checkCopy() {
  if (!navigator.onLine) return renderNotice("offline");
  if (age() <= FRESH_MS) return renderNotice(null);
  try {
    await fetch(location.href, { method: "HEAD", cache: "no-store", credentials: "same-origin" });
    renderNotice(notice && notice.firstChild ? "stale" : null);
  } catch {
    renderNotice("offline");
  }
}

if (list) {
  checkCopy();
  window.addEventListener("offline", checkCopy);
  window.addEventListener("online", checkCopy);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) checkCopy();
  });
  if (navigator.onLine) {
    // Keep the visits listed here (and, from Today, Upcoming and its visits) for use without signal.
    const rows = [...list.querySelectorAll("a.visit-row[href]")].map((link) => link.href);
    const extra = document.getElementById("field-keep");
    const keep = [...rows, ...(extra ? JSON.parse(extra.textContent) : [])];
    registerFieldWorker(list.dataset.serviceWorker, { scope: list.dataset.workerScope, keep }).then((answer) => {
      if (answer) list.dataset.offlineReady = "true";
    });
  }
}

// --- The outbox ----------------------------------------------------------------------------------------------

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
    // On the lists the indicator only speaks when there is something to say (offline with nothing waiting, the
    // list's own notice says there is no connection).
    element.hidden = !counts.total && (navigator.onLine || Boolean(list));
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
  // Waiting to retry: the worker sends them later even if this page is closed (where the browser can).
  sender.addEventListener("retry", () => requestBackgroundSend(user));
  window.addEventListener("online", () => { auth = false; render(); });
  window.addEventListener("offline", render);
  reload().then(() => {
    if (summarize(items, { user }).pending) requestBackgroundSend(user);
    sender.start();
  });
}

// The outbox indicator: one line that always says where the technician's changes are.
//   "All changes saved" · "2 changes waiting to send" · "Offline — 2 changes saved on this phone"
// plus refusals ("1 change was refused"), an expired session ("Sign in again to send …") and tasks whose form
// still shows a problem ("1 task not saved — fix what is marked"): "All changes saved" only when nothing is left.

import { h, icon, plural } from "./util.js";

/** The indicator's state from the outbox counts and the network: {tone, icon, text}. Pure. */
export function indicatorState({ pending = 0, failed = 0, unsaved = 0, online = true, sending = false, auth = false, unreachable = false }) {
  if (auth && pending) {
    return { tone: "warning", icon: "person-exclamation", text: `Sign in again to send ${plural(pending, "change")}` };
  }
  if (!online) {
    return pending
      ? { tone: "offline", icon: "wifi-off", text: `Offline — ${plural(pending, "change")} saved on this phone` }
      : { tone: "offline", icon: "wifi-off", text: "Offline — nothing waiting to send" };
  }
  if (pending && unreachable && !sending) {
    return { tone: "offline", icon: "reception-1", text: `No connection — ${plural(pending, "change")} saved on this phone` };
  }
  if (pending) {
    return {
      tone: "waiting",
      icon: sending ? "arrow-repeat" : "cloud-upload",
      text: `${plural(pending, "change")} waiting to send`,
    };
  }
  if (failed) {
    return { tone: "failed", icon: "exclamation-triangle-fill", text: `${plural(failed, "change")} refused — see below` };
  }
  if (unsaved) {
    return { tone: "failed", icon: "exclamation-circle-fill", text: `${plural(unsaved, "task")} not saved — fix what is marked` };
  }
  return { tone: "saved", icon: "check-circle-fill", text: "All changes saved" };
}

/** Renders the state into `element` (a role="status" live region). */
export function renderIndicator(element, state, { loginUrl = "" } = {}) {
  element.className = `outbox-indicator outbox-${state.tone}`;
  element.dataset.tone = state.tone;
  const children = [icon(state.icon, state.tone === "waiting" && state.icon === "arrow-repeat" ? "spin" : ""), h("span", { class: "outbox-text" }, state.text)];
  if (state.tone === "warning" && loginUrl) {
    children.push(h("a", { class: "outbox-action", href: loginUrl }, "Sign in"));
  }
  element.replaceChildren(...children);
}

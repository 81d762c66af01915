// The technician's visit page: arrival (acknowledge the packet, confirm, on my way, check in), the
// checklist task by task with its evidence, the site contact's sign-off and the check-out.
//
// Every action goes into the outbox first (outbox.js) and is sent by the sender (sender.js); the page
// always shows the server's last Visit resource with the waiting actions applied on top
// (visit-state.js), so it reads the same online, offline and in between.

import { indicatorState, renderIndicator } from "./indicator.js";
import { locate } from "./geo.js";
import { onBackgroundSent, registerFieldWorker, requestBackgroundSend } from "./offline.js";
import { Outbox, summarize } from "./outbox.js";
import { Sender } from "./sender.js";
import { SignaturePad } from "./signature.js";
import { distanceMetres, formatDistance, h, icon, newActionId, plural, sha256Hex } from "./util.js";
import {
  INCOMPLETE_REASONS,
  RESULT_LABELS,
  STATUS,
  STATUS_LABELS,
  applyPending,
  decimalText,
  evidenceLabel,
  makeAction,
  measurementProblem,
  missingEvidenceOf,
  serialHint,
  photoMinimum,
  rekey,
  serialProblem,
  statusRank,
} from "./visit-state.js";

const LOCATION_WORDS = {
  ok: "location recorded",
  denied: "location permission denied — recorded as such",
  unavailable: "location unavailable on this phone — recorded as such",
};

class VisitPage {
  constructor(root, visit) {
    this.root = root;
    this.readonly = root.dataset.readonly === "true";
    this.context = {
      apiBase: root.dataset.apiBase || "/api/v1/",
      org: root.dataset.org || "",
      user: root.dataset.user ? Number(root.dataset.user) : null,
    };
    this.loginUrl = root.dataset.loginUrl || "";
    this.server = visit;
    this.serverVersion = 0;
    this.items = [];
    this.taskCards = new Map();
    this.blobUrls = new Map();
    this.saving = new Set();
    // Task keys whose form shows a problem the technician has not fixed yet (nothing was saved for them).
    this.unsaved = new Set();
    this.locating = false;
    this.sending = false;
    this.authBlocked = false;
    this.el = (id) => root.querySelector(`#${id}`);
  }

  async start() {
    if (this.readonly) {
      this.render();
      return;
    }
    this.registerServiceWorker();
    this.restoreServer();
    this.outbox = new Outbox();
    this.sender = new Sender({ outbox: this.outbox, user: this.context.user });
    this.outbox.addEventListener("change", () => this.reloadItems());
    this.sender.addEventListener("sent", (event) => this.onSent(event.detail));
    this.sender.addEventListener("failed", (event) => this.onFailed(event.detail.item));
    this.sender.addEventListener("retry", () => this.sendInBackground());
    this.sender.addEventListener("auth", () => {
      this.authBlocked = true;
      this.renderIndicator();
    });
    this.sender.addEventListener("busy", () => {
      this.sending = true;
      this.renderIndicator();
    });
    this.sender.addEventListener("idle", () => {
      this.sending = false;
      this.renderIndicator();
      if (!this.items.some((item) => item.visitId === this.server.id && item.state === "pending")) this.refresh();
    });
    window.addEventListener("online", () => {
      this.authBlocked = false;
      this.renderIndicator();
    });
    window.addEventListener("offline", () => this.renderIndicator());
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) this.refresh();
    });
    await this.reloadItems();
    if (summarize(this.items, { user: this.context.user }).pending) this.sendInBackground();
    this.sender.start();
  }

  /** Keep this page and the app's files on the phone, and let the worker send the outbox when this page is
   * closed (see templates/field/sw.js and offline.js). When the worker has sent this visit's actions, show the
   * server's answer. */
  registerServiceWorker() {
    const url = this.root.dataset.serviceWorker;
    if (!url) return;
    registerFieldWorker(url, { scope: this.root.dataset.workerScope }).then((answer) => {
      if (answer) this.root.dataset.offlineReady = "true";
    });
    onBackgroundSent((visits) => {
      if (visits.includes(this.server.id)) this.refresh();
    });
  }

  /** Ask the browser to send the outbox from the worker, even if this page is closed first (Background Sync). */
  sendInBackground() {
    requestBackgroundSend(this.context.user);
  }

  get storageKey() {
    return `tutti-field:visit:${this.context.user}:${this.server.id}`;
  }

  /** The last Visit resource this phone received, when it is newer than the one in the page (a copy of the page
   * from the service worker, loaded without signal, embeds an older one). */
  restoreServer() {
    try {
      const stored = JSON.parse(localStorage.getItem(this.storageKey) || "null");
      if (stored && stored.id === this.server.id && Date.parse(stored.server_time) > Date.parse(this.server.server_time)) {
        this.server = stored;
      }
    } catch {
      // storage unavailable or corrupt: the embedded resource stands
    }
  }

  saveServer() {
    try {
      localStorage.setItem(this.storageKey, JSON.stringify(this.server));
    } catch {
      // storage full or refused: only the offline reload loses freshness
    }
  }

  // --- State ------------------------------------------------------------------------------------------

  get view() {
    return applyPending(this.server, this.items);
  }

  async reloadItems() {
    this.items = await this.outbox.all();
    this.render();
  }

  setServer(visit) {
    if (!visit || visit.id !== this.server.id) return;
    // A replayed answer (an action resent after its answer was lost) describes the visit as it was then.
    if (Date.parse(visit.server_time) < Date.parse(this.server.server_time)) return;
    this.server = visit;
    this.serverVersion += 1;
    this.saveServer();
  }

  onSent({ item, body }) {
    if (item.visitId !== this.server.id) return;
    this.setServer(body); // every action answers with the Visit resource
    this.render();
  }

  onFailed() {
    // The refusal is listed under "Not saved" (with Try again / Dismiss) and the indicator says so; move the
    // technician's eyes there.
    const failed = this.el("visit-failed");
    this.render();
    if (failed) failed.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  /** The server's current Visit (after the outbox drained, or when the page comes back). Ignored when an
   * action's answer arrived meanwhile: that answer is newer. */
  async refresh() {
    if (!navigator.onLine || this.refreshing) return;
    this.refreshing = true;
    const version = this.serverVersion;
    try {
      const headers = { Accept: "application/json" };
      if (this.context.org) headers["X-Organization"] = this.context.org;
      const response = await fetch(`${this.context.apiBase}visits/${this.server.id}/`, { headers, credentials: "same-origin" });
      if (response.ok && version === this.serverVersion) {
        this.setServer(await response.json());
        this.render();
      }
    } catch {
      // offline again: the next drain refreshes
    } finally {
      this.refreshing = false;
    }
  }

  /** Put an action in the outbox (the sender sends it when it can); resolves once it is on the phone. */
  async act(kind, fields = {}, { file = null, filename = "", label = "" } = {}) {
    const item = makeAction({ kind, visit: this.server, context: this.context, fields, file, filename, label, id: newActionId() });
    await this.outbox.add(item);
    this.sendInBackground();
    return item;
  }

  async guarded(key, work) {
    if (this.saving.has(key)) return;
    this.saving.add(key);
    this.render();
    try {
      await work();
    } catch (error) {
      this.flash(`This phone could not keep the change: ${error && error.message ? error.message : error}`, "danger");
    } finally {
      this.saving.delete(key);
      this.render();
    }
  }

  // --- Rendering ---------------------------------------------------------------------------------------

  render() {
    const view = this.view;
    this.renderIndicator();
    this.renderStatus(view);
    this.renderAck(view);
    this.renderArrival(view);
    this.renderChecklist(view);
    this.renderSignOff(view);
    this.renderCheckOut(view);
    this.renderFailed();
  }

  editable(view) {
    return !this.readonly && view.status === STATUS.CHECKED_IN && !view.check_out;
  }

  siteTime(value) {
    if (!value) return "";
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return "";
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    const zone = this.server.site && this.server.site.timezone;
    try {
      return date.toLocaleTimeString([], zone ? { ...options, timeZone: zone } : options);
    } catch {
      return date.toLocaleTimeString([], options);
    }
  }

  flash(text, tone = "info") {
    const notice = this.el("visit-notice");
    if (!notice) return;
    notice.replaceChildren(
      h(
        "div",
        { class: `alert alert-${tone} d-flex gap-2 align-items-start py-2`, role: tone === "danger" ? "alert" : "status" },
        h("span", { class: "flex-grow-1" }, text),
        h("button", { type: "button", class: "btn-close", "aria-label": "Dismiss", onclick: () => notice.replaceChildren() }),
      ),
    );
  }

  renderIndicator() {
    const element = this.el("outbox-indicator");
    if (!element || this.readonly) return;
    const counts = summarize(this.items, { user: this.context.user });
    renderIndicator(
      element,
      indicatorState({ ...counts, unsaved: this.unsaved.size, online: navigator.onLine, sending: this.sending, auth: this.authBlocked }),
      { loginUrl: this.loginUrl },
    );
  }

  /** Whether task `key`'s form shows a problem that kept it from being saved (the indicator counts them). */
  markUnsaved(key, unsaved) {
    if (unsaved === this.unsaved.has(key)) return;
    if (unsaved) this.unsaved.add(key);
    else this.unsaved.delete(key);
    this.renderIndicator();
  }

  isLate(view) {
    if (typeof view.late === "boolean") return view.late && !view.check_in;
    if (view.check_in || !view.window_start) return false;
    return statusRank(view.status) >= 0 && statusRank(view.status) < statusRank(STATUS.CHECKED_IN) && Date.now() > Date.parse(view.window_start);
  }

  renderStatus(view) {
    const element = this.el("visit-status");
    if (!element) return;
    const chips = [h("span", { class: `status-chip status-${view.status}`, "data-status": view.status }, STATUS_LABELS[view.status] || view.status)];
    if (this.isLate(view)) chips.push(h("span", { class: "late-badge" }, icon("alarm"), " Late"));
    if (view.sequence && view.sequence > 1) chips.push(h("span", { class: "badge text-bg-light" }, `Return visit ${view.sequence}`));
    element.replaceChildren(...chips);
  }

  renderAck(view) {
    const element = this.el("visit-ack");
    if (!element) return;
    const packet = view.packet;
    if (!packet) {
      element.replaceChildren(h("p", { class: "text-body-secondary small mb-0" }, "No packet has been issued for this visit yet: call your coordinator."));
      return;
    }
    if (packet.acknowledged) {
      element.replaceChildren(
        h(
          "p",
          { class: "ack-done", id: "packet-acknowledged" },
          icon("check-circle-fill", "text-success me-1"),
          `Packet v${packet.version} acknowledged`,
          packet.pending ? h("span", { class: "pending-note" }, " · waiting to send") : null,
        ),
      );
      return;
    }
    if (this.readonly) {
      element.replaceChildren(h("p", { class: "mb-0 text-body-secondary" }, `Packet v${packet.version} not acknowledged yet.`));
      return;
    }
    element.replaceChildren(
      h(
        "div",
        { class: "ack-needed" },
        h(
          "p",
          { class: "mb-2" },
          icon("file-earmark-text", "me-1"),
          `Read work packet v${packet.version}, then confirm you have read it. `,
          h("a", { href: "#packet-details", class: "fw-semibold", onclick: (event) => this.openPacket(event) }, "Open the packet"),
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-primary btn-touch w-100 justify-content-center",
            disabled: this.saving.has("acknowledge"),
            onclick: () => this.guarded("acknowledge", () => this.act("acknowledge", {}, { label: `Acknowledge packet v${packet.version}` })),
          },
          icon("check2-circle", "me-2"),
          `Acknowledge packet v${packet.version}`,
        ),
      ),
    );
  }

  openPacket(event) {
    const details = document.getElementById("packet-details");
    if (!details) return;
    event.preventDefault();
    details.open = true;
    details.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  renderArrival(view) {
    const element = this.el("visit-arrival");
    if (!element) return;
    if (view.status === STATUS.CANCELLED || view.status === STATUS.NO_SHOW) {
      element.replaceChildren(
        h("div", { class: "alert alert-secondary mb-0" }, view.status === STATUS.CANCELLED ? "This visit was cancelled. Nothing to do here." : "This visit was marked as a no-show. Call your coordinator."),
      );
      return;
    }
    if (view.check_in) {
      element.replaceChildren(this.checkInSummary(view));
      return;
    }
    if (this.readonly) {
      element.replaceChildren(h("p", { class: "text-body-secondary mb-0" }, "Not checked in yet."));
      return;
    }
    const rank = statusRank(view.status);
    const steps = [];
    const early = [];
    if (rank < statusRank(STATUS.CONFIRMED)) {
      early.push(
        this.actionButton("confirm", "Confirm visit", "hand-thumbs-up", "btn-outline-primary", () =>
          this.act("confirm", {}, { label: "Confirm visit" }),
        ),
      );
    } else {
      early.push(h("p", { class: "step-done" }, icon("check-circle-fill", "text-success me-1"), "Confirmed"));
    }
    if (rank < statusRank(STATUS.ON_THE_WAY)) {
      early.push(
        this.actionButton("on-my-way", "On my way", "truck", "btn-outline-primary", () =>
          this.act("on-my-way", {}, { label: "On my way" }),
        ),
      );
    } else {
      early.push(h("p", { class: "step-done" }, icon("check-circle-fill", "text-success me-1"), "On the way"));
    }
    steps.push(h("div", { class: "arrival-steps" }, ...early));
    steps.push(
      h(
        "button",
        {
          type: "button",
          class: "btn btn-primary btn-lg btn-touch w-100 justify-content-center",
          id: "check-in",
          disabled: this.locating || this.saving.has("check-in"),
          onclick: () => this.checkIn(),
        },
        this.locating ? [h("span", { class: "spinner-border spinner-border-sm me-2", "aria-hidden": "true" }), "Getting your location…"] : [icon("geo-alt-fill", "me-2"), "Check in"],
      ),
      h("p", { class: "small text-body-secondary mt-2 mb-0" }, "Check in when you are on site: the time and your phone's location are recorded."),
    );
    element.replaceChildren(...steps);
  }

  actionButton(key, label, iconName, style, work) {
    return h(
      "button",
      { type: "button", class: `btn ${style} btn-touch w-100 justify-content-center`, disabled: this.saving.has(key), onclick: () => this.guarded(key, work) },
      icon(iconName, "me-2"),
      label,
    );
  }

  checkInSummary(view) {
    const checkIn = view.check_in;
    const at = this.siteTime(checkIn.server_time || checkIn.device_time);
    const lines = [h("p", { class: "fw-semibold mb-1", id: "checked-in" }, icon("geo-alt-fill", "text-success me-1"), `Checked in${at ? ` at ${at}` : ""}`)];
    const where = [LOCATION_WORDS[checkIn.location_status] || checkIn.location_status];
    if (checkIn.location_status === "ok" && checkIn.accuracy_m) where.push(`±${Math.round(checkIn.accuracy_m)} m`);
    let distance = checkIn.distance_m;
    const site = view.site || {};
    if ((distance === null || distance === undefined) && checkIn.latitude != null && site.latitude != null) {
      distance = distanceMetres(checkIn.latitude, checkIn.longitude, site.latitude, site.longitude);
    }
    if (distance !== null && distance !== undefined && checkIn.location_status === "ok") where.push(`${formatDistance(distance)} from the site`);
    lines.push(h("p", { class: "small text-body-secondary mb-0", id: "check-in-location", "data-location-status": checkIn.location_status }, where.join(" · ")));
    if (checkIn.flagged) {
      lines.push(h("p", { class: "small text-warning-emphasis mt-1 mb-0" }, icon("flag-fill", "me-1"), "Outside the site's area: your coordinator sees this check-in flagged."));
    }
    if (checkIn.warning) {
      lines.push(h("p", { class: "small text-warning-emphasis mt-1 mb-0", id: "check-in-warning", role: "status" }, icon("exclamation-triangle-fill", "me-1"), checkIn.warning));
    } else if (checkIn.pending && view.window_start && Date.parse(checkIn.device_time || "") < Date.parse(view.window_start) - 30 * 60 * 1000) {
      lines.push(h("p", { class: "small text-warning-emphasis mt-1 mb-0", id: "check-in-warning", role: "status" }, icon("exclamation-triangle-fill", "me-1"), "You are checking in well before the visit's window: make sure the store expects you."));
    }
    if (checkIn.pending) lines.push(h("p", { class: "pending-note small mb-0" }, icon("clock", "me-1"), "Saved on this phone, waiting to send"));
    return h("div", { class: "check-in-summary" }, ...lines);
  }

  async checkIn() {
    if (this.locating) return;
    this.locating = true;
    this.render();
    let location;
    try {
      location = await locate();
    } finally {
      this.locating = false;
    }
    await this.guarded("check-in", () => this.act("check-in", location, { label: "Check in" }));
    if (location.location_status === "denied") {
      this.flash("Location permission is off: you are checked in without a location (recorded as “denied”). Turn it on for the next visit.", "warning");
    } else if (location.location_status === "unavailable") {
      this.flash("Your phone could not find its location: you are checked in without one (recorded as “unavailable”).", "warning");
    }
  }

  renderChecklist(view) {
    const element = this.el("visit-checklist");
    if (!element) return;
    const tasks = view.tasks || [];
    const recorded = tasks.filter((task) => task.result).length;
    const heading = h(
      "div",
      { class: "d-flex align-items-baseline justify-content-between" },
      h("h2", { class: "phone-section-title mb-2" }, "Checklist"),
      h("span", { class: "small text-body-secondary", id: "checklist-progress" }, `${recorded} of ${plural(tasks.length, "task")} recorded`),
    );
    // Before check-in the checklist stays closed (the packet below lists the tasks).
    const onSite = Boolean(view.check_in) || view.status === STATUS.CHECKED_IN || view.status === STATUS.CHECKED_OUT;
    element.hidden = !onSite;
    if (!onSite) {
      element.replaceChildren();
      this.taskCards.clear();
      return;
    }
    if (!tasks.length) {
      element.replaceChildren(heading, h("p", { class: "text-body-secondary" }, "This packet has no tasks."));
      return;
    }
    const cards = tasks.map((task, index) => {
      let card = this.taskCards.get(task.key);
      if (!card) {
        card = new TaskCard(this, task, index + 1);
        this.taskCards.set(task.key, card);
      }
      card.update(task, view);
      return card.element;
    });
    // Keep the cards in place when nothing moved, so that a field being typed in keeps its focus.
    const current = Array.from(element.children);
    if (current.length !== cards.length + 1 || cards.some((card, index) => current[index + 1] !== card)) {
      element.replaceChildren(heading, ...cards);
    } else {
      element.replaceChild(heading, current[0]);
    }
    this.releaseBlobUrls(view);
  }

  /** A local preview URL for a photo still on the phone (revoked once the photo left the outbox). */
  blobUrl(photo) {
    if (!this.blobUrls.has(photo.id) && photo.blob) this.blobUrls.set(photo.id, URL.createObjectURL(photo.blob));
    return this.blobUrls.get(photo.id) || "";
  }

  releaseBlobUrls(view) {
    const alive = new Set();
    for (const task of view.tasks || []) for (const photo of task.photos || []) if (photo.pending) alive.add(photo.id);
    for (const [id, url] of this.blobUrls) {
      if (!alive.has(id)) {
        URL.revokeObjectURL(url);
        this.blobUrls.delete(id);
      }
    }
  }

  renderSignOff(view) {
    const element = this.el("visit-signoff");
    if (!element) return;
    const visible = view.sign_off || this.editable(view);
    element.hidden = !visible;
    if (!visible) return;
    if (view.sign_off) {
      this.signOffForm = null;
      element.replaceChildren(
        h("h2", { class: "phone-section-title" }, "Sign-off"),
        h(
          "div",
          { class: "card phone-card" },
          h(
            "div",
            { class: "card-body" },
            h("p", { class: "mb-0", id: "signed-off" }, icon("pen-fill", "text-success me-1"), `Signed off by ${view.sign_off.name}`, view.sign_off.signed_at ? ` at ${this.siteTime(view.sign_off.signed_at)}` : ""),
            view.sign_off.pending ? h("p", { class: "pending-note small mb-0" }, icon("clock", "me-1"), "Saved on this phone, waiting to send") : null,
          ),
        ),
      );
      return;
    }
    if (!this.signOffForm) {
      this.signOffForm = new SignOffForm(this);
      element.replaceChildren(h("h2", { class: "phone-section-title" }, "Sign-off"), this.signOffForm.element);
      this.signOffForm.mount(view);
    }
  }

  renderCheckOut(view) {
    const element = this.el("visit-checkout");
    if (!element) return;
    const visible = view.check_out || this.editable(view);
    element.hidden = !visible;
    if (!visible) return;
    if (view.check_out) {
      this.checkOutForm = null;
      const reason = INCOMPLETE_REASONS.find(([value]) => value === view.check_out.incomplete_reason);
      const at = this.siteTime(view.check_out.server_time || view.check_out.device_time);
      element.replaceChildren(
        h("h2", { class: "phone-section-title" }, "Check-out"),
        h(
          "div",
          { class: "card phone-card" },
          h(
            "div",
            { class: "card-body" },
            h(
              "p",
              { class: "fw-semibold mb-1", id: "checked-out" },
              icon(view.check_out.outcome === "complete" ? "check-circle-fill" : "exclamation-circle-fill", view.check_out.outcome === "complete" ? "text-success me-1" : "text-warning me-1"),
              `Checked out${at ? ` at ${at}` : ""} · ${view.check_out.outcome === "complete" ? "complete" : "incomplete"}`,
              reason ? ` (${reason[1].toLowerCase()})` : "",
            ),
            view.check_out.pending
              ? h("p", { class: "pending-note small mb-0" }, icon("clock", "me-1"), "Saved on this phone, waiting to send")
              : this.workOrderNote(view),
          ),
        ),
      );
      return;
    }
    if (!this.checkOutForm) {
      this.checkOutForm = new CheckOutForm(this);
      element.replaceChildren(h("h2", { class: "phone-section-title" }, "Check-out"), this.checkOutForm.element);
    }
    this.checkOutForm.update(view);
  }

  workOrderNote(view) {
    const workOrder = view.work_order || {};
    if (workOrder.status === "submitted") {
      return h("p", { class: "small text-body-secondary mb-0" }, `Work order ${workOrder.number} is submitted for review. Thank you!`);
    }
    if (view.check_out && view.check_out.outcome === "incomplete") {
      return h("p", { class: "small text-body-secondary mb-0" }, "Your coordinator will book a return visit.");
    }
    return null;
  }

  renderFailed() {
    const element = this.el("visit-failed");
    if (!element) return;
    const failed = this.items.filter((item) => item.state === "failed" && (this.context.user === null || item.user === this.context.user));
    element.hidden = !failed.length;
    if (!failed.length) {
      element.replaceChildren();
      return;
    }
    element.replaceChildren(
      h("h2", { class: "phone-section-title text-danger" }, "Not saved"),
      h(
        "ul",
        { class: "list-group phone-list" },
        failed.map((item) =>
          h(
            "li",
            { class: "list-group-item failed-item", "data-kind": item.kind },
            h("div", { class: "fw-semibold" }, item.label || item.kind, item.visitId !== this.server.id ? h("span", { class: "small text-body-secondary" }, ` (another visit)`) : null),
            h("div", { class: "small text-danger-emphasis mb-2 failed-message" }, item.error ? item.error.message : "Refused."),
            h(
              "div",
              { class: "d-flex gap-2" },
              h("button", { type: "button", class: "btn btn-sm btn-outline-primary btn-touch", onclick: () => this.outbox.retry(item.id, newActionId(), rekey).then(() => this.sendInBackground()) }, icon("arrow-clockwise", "me-1"), "Try again"),
              h("button", { type: "button", class: "btn btn-sm btn-outline-secondary btn-touch", onclick: () => this.outbox.remove(item.id) }, "Dismiss"),
            ),
          ),
        ),
      ),
    );
  }
}

// --- One task of the checklist ------------------------------------------------------------------------

class TaskCard {
  constructor(page, task, number) {
    this.page = page;
    this.key = task.key;
    this.number = number;
    this.editing = false;
    this.form = null;
    this.header = h("div", { class: "task-head" });
    this.photos = h("div", { class: "task-photos" });
    this.result = h("div", { class: "task-result" });
    const instructions = task.instructions_html
      ? h("details", { class: "task-instructions" }, h("summary", {}, "Instructions"), h("div", { class: "packet-instructions", html: task.instructions_html }))
      : null;
    const evidence = evidenceLabel(task);
    this.element = h(
      "article",
      { class: "card phone-card task-card mb-3", id: `task-${task.key}`, "data-task-key": task.key, "aria-labelledby": `task-${task.key}-title` },
      h(
        "div",
        { class: "card-body" },
        this.header,
        evidence ? h("p", { class: "task-evidence small mb-2" }, icon(task.evidence_kind === "photo" ? "camera" : task.evidence_kind === "serial" ? "upc-scan" : task.evidence_kind === "measurement" ? "rulers" : "pen", "me-1"), evidence) : null,
        instructions,
        this.photos,
        this.result,
      ),
    );
  }

  update(task, view) {
    this.task = task;
    this.view = view;
    const editable = this.page.editable(view);
    const result = task.result;
    const chip = result
      ? h("span", { class: `result-chip result-${result.status}` }, RESULT_LABELS[result.status] || result.status)
      : h("span", { class: "result-chip result-todo" }, "To do");
    this.header.replaceChildren(
      h("h3", { class: "task-title", id: `task-${task.key}-title` }, h("span", { class: "task-number" }, `${this.number}.`), " ", task.title),
      h("div", { class: "task-chips" }, chip, result && result.pending ? h("span", { class: "pending-dot", title: "Waiting to send" }, icon("clock"), h("span", { class: "visually-hidden" }, "waiting to send")) : null),
    );
    this.renderPhotos(task, editable);
    if (editable && (this.editing || !result)) {
      if (!this.form) {
        this.form = this.buildForm(task);
        this.result.replaceChildren(this.form.element);
      }
      this.form.refresh(task);
    } else {
      this.form = null;
      this.editing = false;
      this.result.replaceChildren(...this.summary(task, editable));
    }
  }

  renderPhotos(task, editable) {
    if (task.evidence_kind !== "photo" && !(task.photos || []).length) {
      this.photos.replaceChildren();
      return;
    }
    const photos = task.photos || [];
    const need = photoMinimum(task);
    const thumbs = photos.map((photo) =>
      photo.pending
        ? h("figure", { class: "thumb thumb-pending", "data-photo": "pending" }, h("img", { src: this.page.blobUrl(photo), alt: "Photo waiting to send" }), h("figcaption", {}, icon("clock"), " waiting"))
        : h("figure", { class: "thumb", "data-photo": "saved" }, h("a", { href: photo.url, target: "_blank", rel: "noopener" }, h("img", { src: photo.thumbnail_url, alt: `Photo for ${task.title}`, loading: "lazy" }))),
    );
    const children = [h("div", { class: "thumb-grid" }, ...thumbs)];
    const count = need ? `${photos.length} of ${plural(need, "photo")}` : plural(photos.length, "photo");
    const row = h("div", { class: "d-flex align-items-center justify-content-between gap-2 mt-2" }, h("span", { class: `small ${photos.length >= need ? "text-success" : "text-body-secondary"}`, "data-photo-count": photos.length }, count));
    if (editable) {
      const inputId = `photo-input-${task.key}`;
      const input = h("input", {
        type: "file",
        accept: "image/*",
        capture: "environment",
        multiple: true,
        class: "visually-hidden",
        id: inputId,
        "data-task-photo": task.key,
        onchange: (event) => this.addPhotos(event.target),
      });
      row.append(h("label", { class: "btn btn-outline-primary btn-touch", for: inputId }, icon("camera-fill", "me-2"), photos.length ? "Add another photo" : "Take a photo"), input);
    }
    children.push(row);
    this.photos.replaceChildren(...children);
  }

  async addPhotos(input) {
    const files = Array.from(input.files || []);
    input.value = "";
    // The server keeps the same file for the same task once; say so here instead of silently counting it once.
    const known = new Set();
    for (const photo of this.task.photos || []) {
      const hash = photo.sha256 || (photo.blob ? await sha256Hex(photo.blob) : "");
      if (hash) known.add(hash);
    }
    let repeats = 0;
    for (const [index, file] of files.entries()) {
      if (file.type && !file.type.startsWith("image/")) {
        this.page.flash(`${file.name} is not a photo.`, "warning");
        continue;
      }
      const hash = await sha256Hex(file);
      if (hash && known.has(hash)) {
        repeats += 1;
        continue;
      }
      if (hash) known.add(hash);
      await this.page.guarded(`photo-${this.key}-${index}`, () =>
        this.page.act("photo", { task_key: this.key }, { file, filename: file.name || "photo.jpg", label: `Photo for task ${this.number} · ${this.task.title}` }),
      );
    }
    if (repeats) {
      this.page.flash(
        repeats === 1
          ? `That photo is already on task ${this.number}, so it was not added again. Take a new one if more are needed.`
          : `${repeats} of those photos are already on task ${this.number}, so they were not added again.`,
        "warning",
      );
    }
  }

  summary(task, editable) {
    const result = task.result;
    if (!result) return [h("p", { class: "small text-body-secondary mb-0" }, "Not recorded.")];
    const lines = [];
    if (result.serial) lines.push(h("p", { class: "mb-1" }, h("span", { class: "text-body-secondary" }, "Serial "), h("span", { class: "font-monospace", "data-serial": result.serial }, result.serial)));
    if (result.serial_duplicate) {
      lines.push(h("p", { class: "small text-warning-emphasis mb-1 serial-duplicate" }, icon("exclamation-triangle-fill", "me-1"), "This serial is already recorded elsewhere in this program: your coordinator will check it."));
    }
    if (result.measurement !== null && result.measurement !== undefined && result.measurement !== "") {
      lines.push(h("p", { class: "mb-1" }, h("span", { class: "text-body-secondary" }, "Measured "), `${decimalText(result.measurement)}${task.measurement_unit ? ` ${task.measurement_unit}` : ""}`));
    }
    if (result.reason) lines.push(h("p", { class: "mb-1" }, h("span", { class: "text-body-secondary" }, "Why not: "), result.reason));
    if (result.note) lines.push(h("p", { class: "mb-1 small" }, h("span", { class: "text-body-secondary" }, "Note: "), result.note));
    if (editable) {
      lines.push(
        h("button", { type: "button", class: "btn btn-link px-0 btn-touch", onclick: () => { this.editing = true; this.page.render(); } }, icon("pencil", "me-1"), "Change"),
      );
    }
    return lines;
  }

  buildForm(task) {
    const key = task.key;
    const name = `result-${key}`;
    const current = task.result || {};
    const choice = (value, label, iconName) => {
      const id = `${name}-${value}`;
      return [
        h("input", { type: "radio", class: "btn-check", name, id, value, autocomplete: "off", checked: current.status === value }),
        h("label", { class: `btn btn-outline-${value === "done" ? "success" : value === "not_done" ? "danger" : "secondary"} result-choice`, for: id }, icon(iconName), h("span", {}, label)),
      ];
    };
    const group = h(
      "div",
      { class: "result-choices", role: "radiogroup", "aria-label": `Result of task ${this.number}` },
      choice("done", "Done", "check-lg"),
      choice("not_done", "Not done", "x-lg"),
      choice("not_applicable", "N/A", "dash-lg"),
    );
    const fields = {};
    const done = h("div", { class: "result-done" });
    if (task.evidence_kind === "serial") {
      fields.serial = h("input", {
        type: "text",
        class: "form-control form-control-lg font-monospace",
        id: `${name}-serial`,
        autocomplete: "off",
        autocapitalize: "characters",
        spellcheck: "false",
        value: current.serial || "",
        "aria-describedby": `${name}-serial-help`,
      });
      fields.serialError = h("div", { class: "invalid-feedback", role: "alert" });
      done.append(
        h("label", { class: "form-label mt-3", for: `${name}-serial` }, "Serial number"),
        fields.serial,
        fields.serialError,
        h("div", { class: "form-text", id: `${name}-serial-help` }, task.serial_pattern ? `Format: ${serialHint(task)}` : "As printed on the device's label."),
      );
    } else if (task.evidence_kind === "measurement") {
      fields.measurement = h("input", { type: "text", inputmode: "decimal", class: "form-control form-control-lg", id: `${name}-measurement`, value: decimalText(current.measurement), autocomplete: "off" });
      fields.measurementError = h("div", { class: "invalid-feedback", role: "alert" });
      done.append(
        h("label", { class: "form-label mt-3", for: `${name}-measurement` }, "Measurement"),
        h("div", { class: "input-group has-validation" }, fields.measurement, task.measurement_unit ? h("span", { class: "input-group-text" }, task.measurement_unit) : null, fields.measurementError),
        h("div", { class: "form-text" }, evidenceLabel(task)),
      );
    }
    fields.reason = h("textarea", { class: "form-control", id: `${name}-reason`, rows: 2 });
    fields.reason.value = current.reason || "";
    fields.reasonError = h("div", { class: "invalid-feedback", role: "alert" });
    const notDone = h("div", { class: "result-not-done" }, h("label", { class: "form-label mt-3", for: `${name}-reason` }, "Why was it not done?"), fields.reason, fields.reasonError);
    fields.note = h("textarea", { class: "form-control", id: `${name}-note`, rows: 2 });
    fields.note.value = current.note || "";
    const error = h("div", { class: "invalid-feedback d-block task-error", role: "alert" });
    const save = h("button", { type: "submit", class: "btn btn-primary btn-touch w-100 justify-content-center mt-3" }, icon("check2", "me-2"), `Save task ${this.number}`);
    const element = h(
      "form",
      { class: "task-form", novalidate: true, "data-task-form": key },
      group,
      done,
      notDone,
      h("label", { class: "form-label mt-3", for: `${name}-note` }, "Note ", h("span", { class: "optional" }, "(optional)")),
      fields.note,
      error,
      save,
      current.status ? h("button", { type: "button", class: "btn btn-link w-100 btn-touch justify-content-center", onclick: () => { this.editing = false; this.page.markUnsaved(key, false); this.page.render(); } }, "Cancel") : null,
    );
    const selected = () => (element.querySelector(`input[name="${name}"]:checked`) || {}).value || "";
    const sync = () => {
      const status = selected();
      done.hidden = status !== "done" || !done.childElementCount;
      notDone.hidden = status !== "not_done";
    };
    group.addEventListener("change", () => {
      error.textContent = "";
      sync();
    });
    sync();
    element.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save(selected(), fields, error);
    });
    return { element, refresh: () => sync() };
  }

  save(status, fields, error) {
    const task = this.task;
    error.textContent = "";
    for (const [input, feedback] of [[fields.serial, fields.serialError], [fields.measurement, fields.measurementError], [fields.reason, fields.reasonError]]) {
      if (!input) continue;
      input.classList.remove("is-invalid");
      feedback.textContent = "";
    }
    const invalid = (input, feedback, message) => {
      input.classList.add("is-invalid");
      feedback.textContent = message;
      input.focus();
      this.page.markUnsaved(task.key, true);
    };
    const refused = (message) => {
      error.textContent = message;
      this.page.markUnsaved(task.key, true);
    };
    if (!status) return refused("Choose Done, Not done or N/A.");
    const values = { task_key: task.key, status };
    if (status === "done") {
      if (task.evidence_kind === "serial") {
        const problem = serialProblem(task, fields.serial.value);
        if (problem) return invalid(fields.serial, fields.serialError, problem);
        values.serial = fields.serial.value.trim();
      } else if (task.evidence_kind === "measurement") {
        const problem = measurementProblem(task, fields.measurement.value);
        if (problem) return invalid(fields.measurement, fields.measurementError, problem);
        values.measurement = fields.measurement.value.trim().replace(",", ".");
      } else if (task.evidence_kind === "photo") {
        const need = photoMinimum(task);
        const have = (task.photos || []).length;
        if (have < need) return refused(`Take ${plural(need - have, "more photo", "more photos")} first (${need} needed).`);
      }
    } else if (status === "not_done") {
      if (!fields.reason.value.trim()) return invalid(fields.reason, fields.reasonError, "Say why the task was not done.");
      values.reason = fields.reason.value.trim();
    }
    const note = fields.note.value.trim();
    if (note) values.note = note;
    this.editing = false;
    this.form = null;
    this.page.markUnsaved(task.key, false);
    this.page.guarded(`task-${task.key}`, () =>
      this.page.act("task-result", values, { label: `Task ${this.number} · ${task.title}: ${RESULT_LABELS[status].toLowerCase()}` }),
    );
  }
}

// --- Sign-off -------------------------------------------------------------------------------------------

class SignOffForm {
  constructor(page) {
    this.page = page;
    this.name = h("input", { type: "text", class: "form-control form-control-lg", id: "signoff-name", autocomplete: "name" });
    this.canvas = h("canvas", { class: "signature-canvas", id: "signature-canvas", "aria-label": "Signature: sign with a finger" });
    this.error = h("div", { class: "invalid-feedback d-block", role: "alert" });
    const clear = h("button", { type: "button", class: "btn btn-outline-secondary btn-touch", onclick: () => this.pad && this.pad.clear() }, icon("eraser", "me-1"), "Clear");
    const contacts = (page.server.site && page.server.site.contacts) || [];
    const primary = contacts.find((contact) => contact.is_primary) || contacts[0];
    if (primary) this.name.placeholder = primary.name;
    this.element = h(
      "form",
      { class: "card phone-card", novalidate: true, id: "signoff-form", onsubmit: (event) => { event.preventDefault(); this.save(); } },
      h(
        "div",
        { class: "card-body" },
        h("label", { class: "form-label", for: "signoff-name" }, "Site contact's name"),
        this.name,
        h("div", { class: "d-flex justify-content-between align-items-end mt-3 mb-1" }, h("span", { class: "form-label mb-0", id: "signature-label" }, "Signature"), clear),
        h("div", { class: "signature-box" }, this.canvas, h("span", { class: "signature-hint", "aria-hidden": "true" }, "Sign here")),
        this.error,
        h("button", { type: "submit", class: "btn btn-primary btn-touch w-100 justify-content-center mt-3" }, icon("pen", "me-2"), "Save sign-off"),
      ),
    );
  }

  mount() {
    // The canvas needs its laid-out size before it can be scaled for the screen.
    requestAnimationFrame(() => {
      this.pad = new SignaturePad(this.canvas);
      this.pad.addEventListener("change", () => {
        this.element.querySelector(".signature-box").classList.toggle("signed", !this.pad.isEmpty());
        this.error.textContent = "";
      });
    });
  }

  save() {
    const name = this.name.value.trim();
    if (!name) {
      this.error.textContent = "Enter the name of the person signing.";
      this.name.focus();
      return;
    }
    if (!this.pad || this.pad.isEmpty()) {
      this.error.textContent = "Ask the site contact to sign in the box.";
      return;
    }
    const signature = this.pad.toDataURL();
    this.page.guarded("sign-off", () => this.page.act("sign-off", { name, signature }, { label: `Sign-off by ${name}` }));
  }
}

// --- Check-out ------------------------------------------------------------------------------------------

class CheckOutForm {
  constructor(page) {
    this.page = page;
    this.missing = h("div", { class: "missing-evidence", id: "missing-evidence" });
    const option = (value, label) =>
      h("label", { class: "outcome-option" }, h("input", { class: "form-check-input", type: "radio", name: "outcome", value }), h("span", {}, label));
    this.reason = h("select", { class: "form-select form-select-lg", id: "incomplete-reason" }, h("option", { value: "" }, "Choose a reason…"), INCOMPLETE_REASONS.map(([value, label]) => h("option", { value }, label)));
    this.reasonBlock = h("div", { class: "mt-3" }, h("label", { class: "form-label", for: "incomplete-reason" }, "Why is it incomplete?"), this.reason);
    this.note = h("textarea", { class: "form-control", id: "checkout-note", rows: 2 });
    this.error = h("div", { class: "invalid-feedback d-block", role: "alert" });
    this.outcomes = h("fieldset", {}, h("legend", { class: "form-label fs-6" }, "Outcome"), option("complete", "Complete — all work done"), option("incomplete", "Incomplete — a return visit is needed"));
    this.element = h(
      "form",
      { class: "card phone-card", novalidate: true, id: "checkout-form", onsubmit: (event) => { event.preventDefault(); this.save(); } },
      h(
        "div",
        { class: "card-body" },
        this.missing,
        this.outcomes,
        this.reasonBlock,
        h("label", { class: "form-label mt-3", for: "checkout-note" }, "Note ", h("span", { class: "optional" }, "(optional)")),
        this.note,
        this.error,
        h("button", { type: "submit", class: "btn btn-primary btn-lg btn-touch w-100 justify-content-center mt-3", id: "check-out" }, icon("box-arrow-right", "me-2"), "Check out"),
      ),
    );
    this.outcomes.addEventListener("change", () => this.sync());
    this.sync();
  }

  outcome() {
    return (this.element.querySelector('input[name="outcome"]:checked') || {}).value || "";
  }

  sync() {
    this.reasonBlock.hidden = this.outcome() !== "incomplete";
    this.error.textContent = "";
  }

  update(view) {
    this.view = view;
    const missing = missingEvidenceOf(view);
    if (!missing.length) {
      this.missing.replaceChildren(h("p", { class: "text-success mb-3" }, icon("check-circle-fill", "me-1"), "All required evidence is recorded."));
    } else {
      this.missing.replaceChildren(
        h("p", { class: "fw-semibold mb-1" }, icon("exclamation-circle", "text-warning me-1"), "Still missing"),
        h("ul", { class: "small mb-3 ps-3" }, missing.map((entry) => h("li", { "data-task-key": entry.task_key || "" }, entry.message))),
      );
    }
  }

  save() {
    const outcome = this.outcome();
    if (!outcome) {
      this.error.textContent = "Choose complete or incomplete.";
      return;
    }
    const values = { outcome };
    if (outcome === "complete") {
      const missing = missingEvidenceOf(this.view);
      if (missing.length) {
        this.error.textContent = "Record the missing evidence first, or check out as incomplete.";
        return;
      }
    } else {
      if (!this.reason.value) {
        this.error.textContent = "Choose why the visit is incomplete.";
        this.reason.focus();
        return;
      }
      values.incomplete_reason = this.reason.value;
    }
    const note = this.note.value.trim();
    if (note) values.note = note;
    this.page.guarded("check-out", () => this.page.act("check-out", values, { label: `Check out (${outcome})` }));
  }
}

// --- Start ----------------------------------------------------------------------------------------------

function mapsLinks(root) {
  // iPhones have no geo: handler: send them to Apple Maps instead.
  if (!/iPhone|iPad|iPod/.test(navigator.userAgent)) return;
  for (const link of root.querySelectorAll("a[data-apple-maps]")) link.href = link.dataset.appleMaps;
}

const root = document.getElementById("field-visit");
const data = document.getElementById("visit-data");
if (root && data) {
  mapsLinks(document);
  const page = new VisitPage(root, JSON.parse(data.textContent));
  window.tuttiVisitPage = page; // for support (and the browser tests): page.items, page.server
  page.start();
}

// The visit as the phone shows it: the server's Visit resource with the actions still in the outbox
// applied on top (optimistic view), what evidence is still missing, client-side checks of serials and
// measurements, and the outbox items each action becomes. Pure functions: no DOM, no network.

import { deviceTime } from "./util.js";

export const STATUS = Object.freeze({
  SCHEDULED: "scheduled",
  CONFIRMED: "confirmed",
  ON_THE_WAY: "on_the_way",
  CHECKED_IN: "checked_in",
  CHECKED_OUT: "checked_out",
  CANCELLED: "cancelled",
  NO_SHOW: "no_show",
});

export const STATUS_LABELS = Object.freeze({
  scheduled: "Scheduled",
  confirmed: "Confirmed",
  on_the_way: "On the way",
  checked_in: "Checked in",
  checked_out: "Checked out",
  cancelled: "Cancelled",
  no_show: "No-show",
});

// The forward path of a visit; a pending action never moves it backwards.
const ORDER = [STATUS.SCHEDULED, STATUS.CONFIRMED, STATUS.ON_THE_WAY, STATUS.CHECKED_IN, STATUS.CHECKED_OUT];

export const INCOMPLETE_REASONS = Object.freeze([
  ["parts_missing", "Parts missing"],
  ["site_not_ready", "Site not ready"],
  ["access_denied", "Access denied"],
  ["scope_change", "Scope change"],
  ["technician_issue", "Technician issue"],
  ["other", "Other"],
]);

export const RESULT_LABELS = Object.freeze({ done: "Done", not_done: "Not done", not_applicable: "Not applicable" });

export const ACTION_PATHS = Object.freeze({
  confirm: "confirm/",
  "on-my-way": "on-my-way/",
  "check-in": "check-in/",
  "task-result": "task-results/",
  photo: "photos/",
  "sign-off": "sign-off/",
  "check-out": "check-out/",
  acknowledge: "acknowledge-packet/",
});

export function statusRank(status) {
  const rank = ORDER.indexOf(status);
  return rank === -1 ? -1 : rank;
}

function advance(view, target) {
  if (statusRank(view.status) !== -1 && statusRank(target) > statusRank(view.status)) view.status = target;
}

function taskOf(view, key) {
  return (view.tasks || []).find((task) => task.key === key);
}

/** The server's visit with this visit's pending outbox items applied, oldest first. Failed items are not
 * applied (the server refused them); they are listed apart. Adds `pendingCount` and `pendingKinds`. */
export function applyPending(visit, items) {
  const view = structuredClone(visit);
  view.tasks = view.tasks || [];
  for (const task of view.tasks) task.photos = task.photos || [];
  const mine = (items || []).filter((item) => item.visitId === visit.id && item.state === "pending");
  view.pendingCount = mine.length;
  view.pendingKinds = new Set(mine.map((item) => item.kind));
  for (const item of mine) {
    const payload = item.payload || {};
    switch (item.kind) {
      case "acknowledge":
        if (view.packet) view.packet = { ...view.packet, acknowledged: true, pending: true };
        break;
      case "confirm":
        advance(view, STATUS.CONFIRMED);
        break;
      case "on-my-way":
        advance(view, STATUS.ON_THE_WAY);
        break;
      case "check-in":
        if (!view.check_in) {
          view.check_in = {
            server_time: null,
            device_time: payload.device_time,
            latitude: payload.latitude ?? null,
            longitude: payload.longitude ?? null,
            accuracy_m: payload.accuracy_m ?? null,
            location_status: payload.location_status,
            distance_m: null,
            flagged: false,
            pending: true,
          };
        }
        advance(view, STATUS.CHECKED_IN);
        break;
      case "task-result": {
        const task = taskOf(view, payload.task_key);
        if (task) {
          task.result = {
            status: payload.status,
            reason: payload.reason || "",
            serial: payload.serial || "",
            measurement: payload.measurement ?? null,
            note: payload.note || "",
            serial_duplicate: false,
            pending: true,
          };
        }
        break;
      }
      case "photo": {
        const task = taskOf(view, payload.task_key);
        if (task) task.photos.push({ id: item.id, pending: true, blob: item.form ? item.form.file : null });
        break;
      }
      case "sign-off":
        view.sign_off = { name: payload.name, signed_at: payload.device_time, pending: true };
        break;
      case "check-out":
        view.check_out = {
          outcome: payload.outcome,
          incomplete_reason: payload.incomplete_reason || "",
          note: payload.note || "",
          device_time: payload.device_time,
          server_time: null,
          pending: true,
        };
        advance(view, STATUS.CHECKED_OUT);
        break;
      default:
        break;
    }
  }
  return view;
}

/** The minimum number of photos a photo task needs (1 when the SOW says nothing). */
export function photoMinimum(task) {
  return task.evidence_kind === "photo" ? Math.max(1, Number(task.photo_min_count) || 1) : 0;
}

/** What is still missing before a complete check-out, computed on the phone with the server's rules
 * (workorders.visits.selectors.missing_evidence), used while actions are waiting in the outbox: every task
 * done or not applicable ("not done" does not complete a visit), and each done task's evidence. */
export function missingEvidence(view) {
  const missing = [];
  for (const [index, task] of (view.tasks || []).entries()) {
    const label = `Task ${task.number || index + 1} (${task.title})`;
    const result = task.result;
    if (!result) {
      missing.push({ task_key: task.key, message: `${label}: no result recorded yet.` });
      continue;
    }
    if (result.status === "not_applicable") continue;
    if (result.status === "not_done") {
      missing.push({ task_key: task.key, message: `${label} is marked not done: a complete visit needs it done or not applicable.` });
      continue;
    }
    if (task.evidence_kind === "photo") {
      const need = photoMinimum(task);
      const have = (task.photos || []).length;
      if (have < need) missing.push({ task_key: task.key, message: `${label}: ${need} photo${need === 1 ? "" : "s"} needed, ${have} taken.` });
    } else if (task.evidence_kind === "serial" && !result.serial) {
      missing.push({ task_key: task.key, message: `${label}: the serial number is missing.` });
    } else if (task.evidence_kind === "measurement" && (result.measurement === null || result.measurement === undefined || result.measurement === "")) {
      missing.push({ task_key: task.key, message: `${label}: the measurement is missing.` });
    } else if (task.evidence_kind === "signature" && !view.sign_off) {
      missing.push({ task_key: task.key, message: `${label}: the site contact's signature is missing.` });
    }
  }
  return missing;
}

/** The server's list when it is up to date (nothing waiting), else the phone's own computation. */
export function missingEvidenceOf(view) {
  if (!view.pendingCount && Array.isArray(view.missing_evidence)) return view.missing_evidence;
  return missingEvidence(view);
}

/** A serial pattern from the SOW (Python `re` syntax) as a JS RegExp matching the whole value, or null when
 * the pattern uses syntax JS does not know (the server still checks it). */
export function serialRegExp(pattern) {
  if (!pattern) return null;
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return null;
  }
}

/** A serial pattern in words with an example, for people: "SCO + 6 digits (e.g. SCO123456)". Patterns made of
 * literals, digit and letter runs are explained; any other pattern is shown as it is. */
/** The serial rule for people: the words patternHint finds, else the server's example ("like SCO-123456"); never
 * the regular expression itself. */
export function serialHint(task) {
  const hint = patternHint(task.serial_pattern);
  if (hint && hint !== task.serial_pattern) return hint;
  return task.serial_example ? `like ${task.serial_example}` : "as printed on the device's label";
}

export function patternHint(pattern) {
  if (!pattern) return "";
  const body = pattern.replace(/^\^/, "").replace(/\$$/, "");
  const token = /\\d\{(\d+)\}|\\d\+|\[A-Z\]\{(\d+)\}|\[A-Z0-9\]\{(\d+)\}|\\-|[A-Za-z0-9_\-]+/gy;
  const words = [];
  let example = "";
  let index = 0;
  for (let match = token.exec(body); match; match = token.exec(body)) {
    index = token.lastIndex;
    const [text, digits, letters, mixed] = match;
    if (digits) {
      words.push(`${digits} digit${digits === "1" ? "" : "s"}`);
      example += "1234567890".repeat(3).slice(0, Number(digits));
    } else if (text === "\\d+") {
      words.push("digits");
      example += "123";
    } else if (letters) {
      words.push(`${letters} capital letter${letters === "1" ? "" : "s"}`);
      example += "ABCDEFGHIJ".repeat(3).slice(0, Number(letters));
    } else if (mixed) {
      words.push(`${mixed} letters or digits`);
      example += "A1B2C3D4E5".repeat(3).slice(0, Number(mixed));
    } else {
      const literal = text.replace(/\\-/g, "-");
      words.push(literal);
      example += literal;
    }
  }
  if (index !== body.length || !words.length) return pattern;
  return `${words.join(" + ")} (e.g. ${example})`;
}

/** Why a serial is not acceptable, or "" when it is. */
export function serialProblem(task, value) {
  const serial = (value || "").trim();
  if (!serial) return "Enter the serial number.";
  const pattern = serialRegExp(task.serial_pattern);
  if (pattern && !pattern.test(serial)) return `This serial does not match the expected format: ${serialHint(task)}.`;
  return "";
}

/** Why a measurement is not acceptable, or "" when it is. */
export function measurementProblem(task, value) {
  const text = String(value ?? "").trim().replace(",", ".");
  if (!text) return "Enter the measurement.";
  const number = Number(text);
  if (!Number.isFinite(number)) return "Enter a number.";
  const unit = task.measurement_unit ? ` ${task.measurement_unit}` : "";
  const low = task.measurement_min === null || task.measurement_min === undefined || task.measurement_min === "" ? null : Number(task.measurement_min);
  const high = task.measurement_max === null || task.measurement_max === undefined || task.measurement_max === "" ? null : Number(task.measurement_max);
  if (low !== null && number < low) return `Expected at least ${decimalText(task.measurement_min)}${unit}.`;
  if (high !== null && number > high) return `Expected at most ${decimalText(task.measurement_max)}${unit}.`;
  return "";
}

/** A decimal from the API ("0.500") as people write it ("0.5"); "" for none. */
export function decimalText(value) {
  if (value === null || value === undefined || value === "") return "";
  const number = Number(value);
  return Number.isFinite(number) ? String(number) : String(value);
}

/** "At least 2 photos", "Serial number (format …)", "Measurement in m, 0.5–30". */
export function evidenceLabel(task) {
  switch (task.evidence_kind) {
    case "photo": {
      const count = photoMinimum(task);
      return `At least ${count} photo${count === 1 ? "" : "s"}`;
    }
    case "serial":
      return task.serial_pattern ? `Serial number: ${serialHint(task)}` : "Serial number";
    case "measurement": {
      const unit = task.measurement_unit ? ` in ${task.measurement_unit}` : "";
      const low = decimalText(task.measurement_min) || null;
      const high = decimalText(task.measurement_max) || null;
      const range = low !== null && high !== null ? `, ${low}–${high}` : low !== null ? `, at least ${low}` : high !== null ? `, at most ${high}` : "";
      return `Measurement${unit}${range}`;
    }
    case "signature":
      return "Site contact's signature (at sign-off)";
    default:
      return "";
  }
}

/**
 * The outbox item for an action on a visit. `context` = {apiBase, org, user}; `fields` are the action's own
 * fields (e.g. {task_key, status, serial}); `file` a photo Blob. Every item gets its client_action_id (also
 * its Idempotency-Key) and the phone's clock now; `payload` is what is sent (and what the optimistic view
 * applies), a photo's Blob rides in `form`.
 */
export function makeAction({ kind, visit, context, fields = {}, file = null, filename = "", label = "", id }) {
  const at = fields.device_time || deviceTime();
  const apiBase = context.apiBase || "/api/v1/";
  const base = { id, user: context.user ?? null, org: context.org || "", visitId: visit.id, kind, label, createdAt: Date.now() };
  const payload = { client_action_id: id, device_time: at, ...fields };
  if (kind === "acknowledge") payload.packet_version = visit.packet.version;
  const url = `${apiBase}visits/${visit.id}/${ACTION_PATHS[kind]}`;
  if (kind === "photo") {
    return { ...base, url, payload, form: { fields: payload, file, filename: filename || "photo.jpg", fileField: "file" } };
  }
  return { ...base, url, payload };
}

/** A failed item with a new client_action_id (and so a new Idempotency-Key), for "try again". */
export function rekey(item, newId) {
  const copy = { ...item, payload: { ...item.payload, client_action_id: newId } };
  if (copy.form) copy.form = { ...copy.form, fields: copy.payload };
  if (typeof copy.body === "string") copy.body = JSON.stringify(copy.payload);
  return copy;
}

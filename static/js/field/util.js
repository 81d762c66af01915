// Small helpers of the technician's phone app: DOM building without innerHTML, the phone's clock as
// ISO 8601 with its offset, ids, the CSRF token, plural words.

/** h("button", {class: "btn", onclick: fn}, "Label", child…) → an Element. Text is always text. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "html") {
      element.innerHTML = value; // only for server-sanitized HTML (packet instructions, nh3)
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A Bootstrap icon, hidden from screen readers. */
export function icon(name, extra = "") {
  return h("i", { class: `bi bi-${name}${extra ? " " + extra : ""}`, "aria-hidden": "true" });
}

const pad = (value, size = 2) => String(Math.trunc(Math.abs(value))).padStart(size, "0");

/** The phone's clock as ISO 8601 with its UTC offset, e.g. 2026-03-04T09:15:02.120-06:00. */
export function deviceTime(date = new Date()) {
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(offset / 60)}:${pad(offset % 60)}`
  );
}

/** A new client action id (UUID v4). crypto.randomUUID needs a secure context; fall back to getRandomValues. */
export function newActionId() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Django's CSRF token: the cookie when readable (it rotates at sign-in), else the page's meta tag. */
export function csrfToken() {
  const cookie = document.cookie.split(";").map((part) => part.trim()).find((part) => part.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

/** plural(2, "change") → "2 changes"; plural(1, "photo") → "1 photo". */
export function plural(count, word, many = `${word}s`) {
  return `${count} ${count === 1 ? word : many}`;
}

/** "14:05" on the phone's clock, for "saved at" notes. */
export function clockTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}

/** Distance in metres between two WGS84 points (haversine): a local hint before the server's answer. */
export function distanceMetres(lat1, lon1, lat2, lon2) {
  const rad = (degrees) => (Number(degrees) * Math.PI) / 180;
  const dLat = rad(lat2 - lat1);
  const dLon = rad(lon2 - lon1);
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(rad(lat1)) * Math.cos(rad(lat2)) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(a)));
}

/** "850 m" / "3.2 km". */
export function formatDistance(metres) {
  if (metres === null || metres === undefined || Number.isNaN(Number(metres))) return "";
  const value = Number(metres);
  return value < 1000 ? `${Math.round(value)} m` : `${(value / 1000).toFixed(value < 10000 ? 1 : 0)} km`;
}

/** The SHA-256 of a Blob as hex (what the server records of an uploaded photo), or "" where the browser offers no
 * digest (crypto.subtle is there on https and localhost only). */
export async function sha256Hex(blob) {
  if (!(globalThis.crypto && crypto.subtle && blob)) return "";
  const hash = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(hash), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

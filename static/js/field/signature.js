// A signature pad: the site contact signs with a finger (pointer events: touch, pen or mouse) on a canvas;
// the drawing is exported as a PNG data URL. Sharp on high-density screens; "Clear" starts over.

export class SignaturePad extends EventTarget {
  constructor(canvas, { lineWidth = 2.5, color = "#14172b" } = {}) {
    super();
    this.canvas = canvas;
    this.lineWidth = lineWidth;
    this.color = color;
    this.strokes = 0;
    this.drawing = false;
    this.last = null;
    canvas.style.touchAction = "none"; // the finger draws; it does not scroll the page
    canvas.addEventListener("pointerdown", (event) => this.down(event));
    canvas.addEventListener("pointermove", (event) => this.move(event));
    for (const name of ["pointerup", "pointercancel", "pointerleave"]) {
      canvas.addEventListener(name, (event) => this.up(event));
    }
    this.resize();
  }

  resize() {
    const ratio = Math.max(1, window.devicePixelRatio || 1);
    const rect = this.canvas.getBoundingClientRect();
    this.canvas.width = Math.max(1, Math.round(rect.width * ratio));
    this.canvas.height = Math.max(1, Math.round(rect.height * ratio));
    const context = this.canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = this.lineWidth;
    context.strokeStyle = this.color;
    this.strokes = 0;
  }

  point(event) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  down(event) {
    event.preventDefault();
    this.canvas.setPointerCapture?.(event.pointerId);
    this.drawing = true;
    this.last = this.point(event);
    const context = this.canvas.getContext("2d");
    context.beginPath();
    context.arc(this.last.x, this.last.y, this.lineWidth / 2, 0, Math.PI * 2);
    context.fillStyle = this.color;
    context.fill();
  }

  move(event) {
    if (!this.drawing) return;
    event.preventDefault();
    const next = this.point(event);
    const context = this.canvas.getContext("2d");
    context.beginPath();
    context.moveTo(this.last.x, this.last.y);
    context.lineTo(next.x, next.y);
    context.stroke();
    this.last = next;
  }

  up() {
    if (!this.drawing) return;
    this.drawing = false;
    this.strokes += 1;
    this.dispatchEvent(new Event("change"));
  }

  isEmpty() {
    return this.strokes === 0;
  }

  clear() {
    const context = this.canvas.getContext("2d");
    context.save();
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    context.restore();
    this.strokes = 0;
    this.dispatchEvent(new Event("change"));
  }

  /** The signature as "data:image/png;base64,…" on a white background (a transparent PNG prints badly). */
  toDataURL() {
    const copy = document.createElement("canvas");
    copy.width = this.canvas.width;
    copy.height = this.canvas.height;
    const context = copy.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, copy.width, copy.height);
    context.drawImage(this.canvas, 0, 0);
    return copy.toDataURL("image/png");
  }
}

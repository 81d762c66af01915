// Keyboard review: j/k move between tasks, a accepts, r starts a defect on the current task, n opens the next
// work order. Keys are ignored while typing in a field.
(() => {
  const tasks = Array.from(document.querySelectorAll(".review-task"));
  let current = -1;

  const select = (index) => {
    if (!tasks.length) return;
    current = Math.max(0, Math.min(tasks.length - 1, index));
    tasks.forEach((task, i) => task.classList.toggle("border-primary", i === current));
    tasks[current].focus({ preventScroll: true });
    tasks[current].scrollIntoView({ block: "nearest", behavior: "smooth" });
  };

  const typing = (target) => target.closest("input, textarea, select, [contenteditable]");

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const accept = document.getElementById("accept-form");
    const reject = document.getElementById("reject-form");
    const next = document.getElementById("next-work-order");
    if (event.key === "j") select(current + 1);
    else if (event.key === "k") select(current - 1);
    else if (event.key === "a" && accept) accept.requestSubmit();
    else if (event.key === "r" && reject) {
      const row = Array.from(reject.querySelectorAll(".defect-row")).find(
        (candidate) => !candidate.querySelector("select[name=defect_code]").value,
      ) || reject.querySelector(".defect-row");
      if (current >= 0) row.querySelector(".defect-task").value = tasks[current].dataset.task;
      row.querySelector("select[name=defect_code]").focus();
    } else if (event.key === "n" && next) window.location.assign(next.href);
    else return;
    event.preventDefault();
  });
})();

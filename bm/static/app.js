// Small behaviours the server-rendered pages need; everything else is htmx.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-line]");
  if (!button) return;
  const rows = document.getElementById("line-rows");
  const index = rows.querySelectorAll("tr").length;
  htmx.ajax("GET", `${button.dataset.addLine}?index=${index}`, { target: rows, swap: "beforeend" });
});

// Close open menus when clicking elsewhere or pressing Escape.
const closeMenus = (except) => document.querySelectorAll("details[open]").forEach((menu) => {
  if (menu !== except && !menu.closest("dialog")) menu.removeAttribute("open");
});
document.addEventListener("click", (event) => closeMenus(event.target.closest("details")));
document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeMenus(null); });

// A <dialog> that htmx loads (e.g. the Merge pop-up) opens as a modal; focus returns on close.
document.addEventListener("htmx:afterSwap", (event) => {
  const dialog = event.detail.target.querySelector("dialog");
  if (!dialog) return;
  const opener = document.activeElement;
  dialog.removeAttribute("open");
  dialog.showModal();
  (dialog.querySelector("input:checked, input, button") || dialog).focus();
  dialog.addEventListener("close", () => { dialog.remove(); if (opener) opener.focus(); }, { once: true });
});
document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-dialog]");
  const dialog = closer && closer.closest("dialog");
  if (dialog && dialog.matches(":modal")) { event.preventDefault(); dialog.close(); }
});

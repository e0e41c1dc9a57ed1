// Small behaviours the server-rendered pages need; everything else is htmx.

// Forms with data-confirm ask first (Archive, Unlink, Void).
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});

// Invoice form: Add line fetches one more row.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-line]");
  if (!button) return;
  const rows = document.getElementById("line-rows");
  const index = rows.querySelectorAll("tr").length;
  htmx.ajax("GET", `${button.dataset.addLine}?index=${index}`, { target: rows, swap: "beforeend" });
});

// Close open menus when clicking elsewhere or pressing Escape (focus goes back to the menu's button).
const closeMenus = (except) => document.querySelectorAll("details[open]").forEach((menu) => {
  if (menu !== except && !menu.closest("dialog")) menu.removeAttribute("open");
});
document.addEventListener("click", (event) => closeMenus(event.target.closest("details")));
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || document.querySelector("dialog:modal")) return;
  const menu = document.activeElement && document.activeElement.closest("details[open]");
  closeMenus(null);
  if (menu) menu.querySelector("summary").focus();
});

// Pop-ups: a <dialog> that htmx loads (e.g. the Merge pop-up) opens as a modal. Focus moves into
// it, Tab and Shift+Tab stay inside it, Escape, Cancel or a click on the backdrop close it, and
// focus then returns to the control that opened it.
const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), " +
  "textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

const focusable = (dialog) => [...dialog.querySelectorAll(FOCUSABLE)].filter((el) => {
  if (el.type === "radio" && !el.checked && dialog.querySelector(`input[type=radio][name="${el.name}"]:checked`)) return false;
  return el.getClientRects().length > 0;
});

let opener = null;
document.addEventListener("htmx:beforeRequest", () => { opener = document.activeElement; });

document.addEventListener("htmx:afterSwap", (event) => {
  const dialog = event.detail.target.querySelector("dialog");
  if (!dialog || dialog.matches(":modal")) return;
  const returnTo = opener && opener !== document.body ? opener : null;
  dialog.removeAttribute("open");
  dialog.showModal();
  (dialog.querySelector("[autofocus], input:checked") || focusable(dialog)[0] || dialog).focus();
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (returnTo && returnTo.isConnected) returnTo.focus();
  }, { once: true });
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Tab") return;
  const dialog = document.querySelector("dialog:modal");
  if (!dialog) return;
  const items = focusable(dialog);
  if (!items.length) { event.preventDefault(); return; }
  const first = items[0];
  const last = items[items.length - 1];
  const inside = dialog.contains(document.activeElement);
  if (event.shiftKey && (document.activeElement === first || !inside)) { event.preventDefault(); last.focus(); }
  else if (!event.shiftKey && (document.activeElement === last || !inside)) { event.preventDefault(); first.focus(); }
});

document.addEventListener("click", (event) => {
  const closer = event.target.closest("[data-close-dialog]");
  const dialog = closer ? closer.closest("dialog") : event.target;
  if (!dialog || dialog.tagName !== "DIALOG" || !dialog.matches(":modal")) return;
  if (!closer) {  // a click on the dialog element itself is on its backdrop
    const box = dialog.getBoundingClientRect();
    const inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (inside || event.detail === 0) return;
  }
  event.preventDefault();
  dialog.close();
});

// Background jobs: a progress bar polls until its job ends (htmx status 286). The page's
// content is then refreshed once, so lists show the job's result without a reload, unless
// the user is working on the page at that moment (focus inside it, or a pop-up open).
document.addEventListener("htmx:beforeRequest", (event) => {
  const elt = event.detail.elt;
  if (elt && elt.querySelector && elt.querySelector("progress")) event.detail.xhr.bmJobProgress = true;
});
document.addEventListener("htmx:afterRequest", (event) => {
  const xhr = event.detail.xhr;
  if (!xhr || xhr.status !== 286 || !xhr.bmJobProgress || xhr.bmRefreshed) return;
  xhr.bmRefreshed = true;  // htmx may report the request twice when the poller was swapped out
  const active = document.activeElement;
  if ((active && active !== document.body && active.closest("#main")) || document.querySelector("dialog:modal")) return;
  // An htmx request gets the page without its frame (templates/_partial.html): swap it into
  // main, keeping the messages already shown (the new page has none: they were read).
  const main = document.getElementById("main");
  const flashes = main.querySelector(":scope > .flashes");
  main.setAttribute("aria-busy", "true");
  htmx.ajax("GET", window.location.href, { target: main, swap: "innerHTML" }).then(() => {
    if (flashes && !main.querySelector(":scope > .flashes")) main.prepend(flashes);
  }).finally(() => main.removeAttribute("aria-busy"));
});

// Print buttons (the invoice page): the print stylesheet leaves out everything but the document.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

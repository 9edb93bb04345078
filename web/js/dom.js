// A few DOM helpers: elements from plain data, messages, dialogs. No framework, no build step.

/** h("button", {type: "button", onclick}, "文字") → an element. */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      node.className = value;
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** A labelled field: <label for> + control + optional hint, linked by aria-describedby. */
export function field(label, control, hint = null) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const parts = [h("label", { for: id }, label), control];
  if (hint) {
    const hintId = `${id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, parts);
}

/** A message area that screen readers announce: role=alert for errors, status otherwise. */
export function messageBox() {
  const box = h("div", { class: "message", role: "alert", "aria-live": "assertive", hidden: true });
  return box;
}

export function showMessage(box, text, kind = "error") {
  box.className = `message ${kind}`;
  box.textContent = text;
  box.hidden = !text;
  if (text && kind === "error") box.scrollIntoView({ block: "nearest" });
}

/** Disables a button while `work` runs, so a double tap never sends twice. */
export async function busy(button, work) {
  if (button.disabled) return undefined;
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.textContent = `${label}…`;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
    // a dialog closed while the button was disabled leaves the focus nowhere: give it back
    if (button.isConnected && (document.activeElement === document.body || !document.activeElement)) button.focus();
  }
}

/** A file the API answered (a blob) saved under `filename`, through a blob URL: the token never goes in a URL. */
export function saveFile(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/** Tables keep their meaning for screen readers when the phone layout makes their cells blocks. */
export function tableRoles(table) {
  const roles = { thead: "rowgroup", tbody: "rowgroup", tr: "row", td: "cell" };
  table.setAttribute("role", "table");
  for (const [tag, role] of Object.entries(roles)) for (const node of table.querySelectorAll(tag)) node.setAttribute("role", role);
  for (const cell of table.querySelectorAll("th")) cell.setAttribute("role", cell.scope === "row" ? "rowheader" : "columnheader");
  return table;
}

/** The form's submit (button or Enter): the browser's own checks first, then `work`, once at a time. */
export function onSubmit(form, button, work) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(button, async () => {
      if (form.reportValidity()) await work();
    });
  });
}

/** A box the student must tick: false, with a message naming it and the focus on it, when not ticked. */
export function ticked(box, checkbox) {
  if (checkbox.checked) return true;
  showMessage(box, `请先勾选“${checkbox.labels?.[0]?.textContent ?? ""}”。`);
  checkbox.focus();
  return false;
}

/** A modal question; resolves true when the student presses the confirm button. The focus starts on
 * the cancel button for a `danger` or `irreversible` question, so Enter alone never does what cannot be undone. */
export function confirmDialog({ title, body, confirm = "确定", cancel = "取消", danger = false, irreversible = false }) {
  return new Promise((resolve) => {
    const titleId = `d-${Math.random().toString(36).slice(2, 9)}`;
    const yes = h("button", { type: "button", class: danger ? "danger" : "primary", value: "yes" }, confirm);
    const no = h("button", { type: "button", value: "no" }, cancel);
    const dialog = h(
      "dialog",
      { "aria-labelledby": titleId },
      h("h2", { id: titleId }, title),
      h("div", { class: "dialog-body" }, body),
      h("div", { class: "actions" }, yes, no),
    );
    const close = (answer) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    yes.addEventListener("click", () => close(true));
    no.addEventListener("click", () => close(false));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      close(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    (danger || irreversible ? no : yes).focus(); // Enter alone never deletes nor approves for good
  });
}

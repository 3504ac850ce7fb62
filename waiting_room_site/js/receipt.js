// Shows whatever JSON the store answered as something a person can read: objects as labelled
// rows, lists of similar objects as a table, everything else as text. The raw JSON stays available.

function label(key) {
  const words = String(key)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function scalar(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return String(value);
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function table(rows) {
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const t = el("table", "receipt-table");
  const head = t.createTHead().insertRow();
  for (const key of keys) {
    const th = el("th", "", label(key));
    th.scope = "col";
    head.appendChild(th);
  }
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const key of keys) tr.insertCell().appendChild(render(row[key]));
  }
  const wrap = el("div", "table-wrap");
  wrap.appendChild(t);
  return wrap;
}

function render(value) {
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => isPlainObject(v) && Object.values(v).every((x) => !isPlainObject(x) && !Array.isArray(x)))) {
      return table(value);
    }
    if (!value.length) return document.createTextNode("none");
    const list = el("ul", "receipt-list");
    for (const item of value) list.appendChild(el("li")).appendChild(render(item));
    return list;
  }
  if (isPlainObject(value)) {
    const dl = el("dl", "receipt-fields");
    for (const [key, inner] of Object.entries(value)) {
      dl.appendChild(el("dt", "", label(key)));
      dl.appendChild(el("dd")).appendChild(render(inner));
    }
    return dl;
  }
  return document.createTextNode(scalar(value));
}

/** Fills `container` with the receipt. */
export function renderReceipt(container, data) {
  container.replaceChildren();
  container.appendChild(render(data));
  const details = el("details", "raw");
  details.appendChild(el("summary", "", "Show the raw answer"));
  details.appendChild(el("pre", "", JSON.stringify(data, null, 2)));
  container.appendChild(details);
}

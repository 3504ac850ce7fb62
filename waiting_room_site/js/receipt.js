// Shows whatever JSON the store answered as something a person can read: objects as labelled
// rows, lists of similar objects as a table, everything else as text. The raw JSON stays available.

function label(key) {
  const words = String(key)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const MONEY_KEY = /(^|_)(price|subtotal|total|amount|tax|cost)$/i;

function scalar(value, key, money) {
  if (value === null || value === undefined) return "—";
  if (money && typeof value === "number" && MONEY_KEY.test(String(key))) return money.format(value);
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

function table(rows, money) {
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const t = el("table", "receipt-table");
  const head = t.createTHead().insertRow();
  for (const key of keys) {
    const numeric = rows.every((row) => typeof row[key] === "number" || row[key] === undefined);
    const th = el("th", numeric ? "num" : "", label(key));
    th.scope = "col";
    head.appendChild(th);
  }
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const key of keys) {
      const cell = tr.insertCell();
      cell.dataset.label = label(key);
      cell.appendChild(render(row[key], key, money));
      if (typeof row[key] === "number") cell.className = "num";
    }
  }
  const wrap = el("div", "table-wrap");
  wrap.appendChild(t);
  return wrap;
}

function render(value, key, money) {
  if (Array.isArray(value)) {
    if (value.length && value.every((v) => isPlainObject(v) && Object.values(v).every((x) => !isPlainObject(x) && !Array.isArray(x)))) {
      return table(value, money);
    }
    if (!value.length) return document.createTextNode("none");
    const list = el("ul", "receipt-list");
    for (const item of value) list.appendChild(el("li")).appendChild(render(item, key, money));
    return list;
  }
  if (isPlainObject(value)) {
    const dl = el("dl", "receipt-fields");
    for (const [name, inner] of Object.entries(value)) {
      dl.appendChild(el("dt", "", label(name)));
      dl.appendChild(el("dd")).appendChild(render(inner, name, money));
    }
    return dl;
  }
  return document.createTextNode(scalar(value, key, money));
}

/** Fills `container` with the receipt. */
export function renderReceipt(container, data) {
  container.replaceChildren();
  let money = null;
  if (isPlainObject(data) && typeof data.currency === "string" && /^[A-Za-z]{3}$/.test(data.currency)) {
    try {
      money = new Intl.NumberFormat(undefined, { style: "currency", currency: data.currency.toUpperCase() });
    } catch {
      money = null;
    }
  }
  container.appendChild(render(data, "", money));
  const details = el("details", "raw");
  details.appendChild(el("summary", "", "Show the raw answer"));
  details.appendChild(el("pre", "", JSON.stringify(data, null, 2)));
  container.appendChild(details);
}

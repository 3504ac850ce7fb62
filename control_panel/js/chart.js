// A small time-series chart drawn as SVG: a few lines over a sliding time window.

const SVG = "http://www.w3.org/2000/svg";

function node(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A round upper bound for an axis of four whole steps: 4, 8, 20, 40, 80, 100, 200, 400… */
export function niceCeiling(value) {
  const step = Math.max(1, value / 4);
  const power = 10 ** Math.floor(Math.log10(step));
  for (const nice of [1, 2, 2.5, 5, 10]) {
    const candidate = nice * power;
    if (Number.isInteger(candidate) && candidate >= step) return candidate * 4;
  }
  return 40 * power;
}

function clockLabel(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export class TimeChart {
  /**
   * @param {SVGSVGElement} svg
   * @param {{key: string, label: string, color: string, width?: number, dash?: string}[]} series
   * @param {{windowMs?: number}} [options]
   */
  constructor(svg, series, { windowMs = 5 * 60 * 1000, minSpanMs = 60 * 1000 } = {}) {
    this.svg = svg;
    this.series = series;
    this.windowMs = windowMs;
    this.minSpanMs = Math.min(minSpanMs, windowMs);
    this.points = []; // {t, values: {key: number}}
    new ResizeObserver(() => this.draw()).observe(svg);
  }

  add(values, t = Date.now()) {
    this.points.push({ t, values });
    const oldest = t - this.windowMs * 1.2;
    while (this.points.length > 2 && this.points[0].t < oldest) this.points.shift();
    this.draw();
  }

  clear() {
    this.points = [];
    this.draw();
  }

  draw() {
    const svg = this.svg;
    const width = Math.max(280, Math.round(svg.clientWidth || 600));
    const height = Math.max(180, Math.round(svg.clientHeight || 260));
    const pad = { left: 48, right: 14, top: 12, bottom: 28 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.replaceChildren();

    const now = this.points.length ? this.points[this.points.length - 1].t : Date.now();
    // The axis covers what was seen, at least minSpanMs and at most the window.
    const seen = this.points.length ? now - this.points[0].t : 0;
    const span = Math.min(this.windowMs, Math.max(this.minSpanMs, seen));
    const start = now - span;
    let max = 0;
    for (const p of this.points) {
      for (const s of this.series) {
        const v = p.values[s.key];
        if (Number.isFinite(v) && v > max) max = v;
      }
    }
    const top = niceCeiling(max);
    const x = (t) => pad.left + ((t - start) / span) * plotW;
    const y = (v) => pad.top + plotH - (v / top) * plotH;

    // horizontal grid and values
    const grid = node("g", { class: "chart-grid" });
    for (let i = 0; i <= 4; i++) {
      const value = (top / 4) * i;
      const gy = y(value);
      grid.appendChild(node("line", { x1: pad.left, x2: width - pad.right, y1: gy, y2: gy }));
      const label = Number.isInteger(value) ? String(value) : value.toFixed(1);
      grid.appendChild(node("text", { x: pad.left - 8, y: gy + 4, "text-anchor": "end" }, label));
    }
    // time labels
    const ticks = width < 480 ? 2 : 4;
    for (let i = 0; i <= ticks; i++) {
      const t = start + (span / ticks) * i;
      const anchor = i === 0 ? "start" : i === ticks ? "end" : "middle";
      grid.appendChild(node("text", { x: x(t), y: height - 8, "text-anchor": anchor }, clockLabel(t)));
    }
    svg.appendChild(grid);

    if (this.points.length === 0) {
      svg.appendChild(
        node("text", { x: pad.left + plotW / 2, y: pad.top + plotH / 2, "text-anchor": "middle", class: "chart-empty" }, "No data yet"),
      );
      return;
    }

    // one line per series; the clip keeps points older than the window out of the axes
    const clipId = `clip-${svg.id || "chart"}`;
    const defs = node("defs");
    const clip = node("clipPath", { id: clipId });
    clip.appendChild(node("rect", { x: pad.left, y: pad.top - 2, width: plotW, height: plotH + 4 }));
    defs.appendChild(clip);
    svg.appendChild(defs);
    const lines = node("g", { "clip-path": `url(#${clipId})` });
    for (const s of this.series) {
      // Counters move in steps: hold each value until the next sample.
      const coords = [];
      let previous = null;
      for (const p of this.points) {
        const v = p.values[s.key];
        if (!Number.isFinite(v)) continue;
        if (previous !== null && previous !== v) coords.push(`${x(p.t).toFixed(1)},${y(previous).toFixed(1)}`);
        coords.push(`${x(p.t).toFixed(1)},${y(v).toFixed(1)}`);
        previous = v;
      }
      if (!coords.length) continue;
      if (coords.length === 1) {
        const [cx, cy] = coords[0].split(",");
        lines.appendChild(node("circle", { cx, cy, r: 3, fill: s.color }));
      } else {
        lines.appendChild(
          node("polyline", {
            points: coords.join(" "),
            fill: "none",
            stroke: s.color,
            "stroke-width": s.width || 2.25,
            ...(s.dash ? { "stroke-dasharray": s.dash } : {}),
            "stroke-linejoin": "round",
            "stroke-linecap": "round",
            "data-series": s.key,
          }),
        );
      }
    }
    svg.appendChild(lines);
  }
}

// The history charts, drawn with uPlot.
import uPlot from "uplot";
import { el } from "./dom";
import type { HistoryPoint } from "./types";

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  series: { label: string; color: string; get: (p: HistoryPoint) => number; dash?: number[] }[];
}

const specs: ChartSpec[] = [
  {
    id: "chart-rps",
    title: "Total requests per second",
    unit: "req/s",
    series: [
      { label: "RPS", color: "#16a34a", get: (p) => p.rps },
      { label: "Failures/s", color: "#dc2626", get: (p) => p.fps },
    ],
  },
  {
    id: "chart-rt",
    title: "Response times (ms)",
    unit: "ms",
    series: [
      { label: "50th percentile", color: "#2563eb", get: (p) => p.p50 },
      { label: "95th percentile", color: "#ea580c", get: (p) => p.p95 },
      { label: "99th percentile", color: "#9333ea", get: (p) => p.p99 },
      { label: "Average", color: "#64748b", get: (p) => p.avg, dash: [4, 4] },
    ],
  },
  {
    id: "chart-users",
    title: "Number of users",
    unit: "users",
    series: [{ label: "Users", color: "#0d9488", get: (p) => p.u }],
  },
];

function axisColor(): string {
  return getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#64748b";
}

function gridColor(): string {
  return getComputedStyle(document.documentElement).getPropertyValue("--grid").trim() || "#e2e8f0";
}

// Charts keeps the three charts of a history.
export class Charts {
  private plots: uPlot[] = [];
  private boxes: HTMLElement[] = [];
  private data: HistoryPoint[] = [];
  readonly element: HTMLElement;

  // prefix is put before the charts' element ids, so that a page can
  // hold more than one set.
  constructor(prefix = "") {
    this.element = el("div", { class: "charts" });
    for (const s of specs) {
      const box = el("div", { class: "chart", id: prefix + s.id });
      this.element.appendChild(el("figure", { class: "chart-card" }, el("figcaption", null, s.title), box));
      this.boxes.push(box);
    }
  }

  private size(box: HTMLElement): { width: number; height: number } {
    return { width: Math.max(300, box.clientWidth || 600), height: 240 };
  }

  // init creates the plots; call it when the element is in the page and
  // visible (uPlot measures its container).
  private init(): void {
    if (this.plots.length) return;
    specs.forEach((s, i) => {
      const box = this.boxes[i];
      const opts: uPlot.Options = {
        ...this.size(box),
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { stroke: axisColor(), grid: { stroke: gridColor(), width: 1 }, ticks: { stroke: gridColor(), width: 1 } },
          { stroke: axisColor(), grid: { stroke: gridColor(), width: 1 }, ticks: { stroke: gridColor(), width: 1 }, size: 60 },
        ],
        series: [
          {},
          ...s.series.map((ser) => ({
            label: ser.label,
            stroke: ser.color,
            width: 2,
            dash: ser.dash,
            points: { show: false },
            value: (_u: uPlot, v: number | null) => (v == null ? "—" : s.unit === "users" ? String(Math.round(v)) : v.toFixed(s.unit === "ms" ? 2 : 1)),
          })),
        ],
      };
      this.plots.push(new uPlot(opts, this.aligned(s), box));
    });
  }

  private aligned(s: ChartSpec): uPlot.AlignedData {
    return [this.data.map((p) => p.t), ...s.series.map((ser) => this.data.map(ser.get))];
  }

  // set replaces the points (reset) or appends them.
  set(points: HistoryPoint[], reset: boolean): void {
    this.data = reset ? points.slice() : this.data.concat(points);
  }

  points(): number {
    return this.data.length;
  }

  // draw (re)draws the charts if the element is visible.
  draw(): void {
    if (!this.element.isConnected || this.element.offsetParent === null) return;
    this.init();
    this.plots.forEach((p, i) => {
      const sz = this.size(this.boxes[i]);
      if (sz.width !== p.width) p.setSize(sz);
      p.setData(this.aligned(specs[i]));
    });
  }
}

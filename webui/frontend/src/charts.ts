// The history charts, drawn with uPlot.
import uPlot from "uplot";
import { el } from "./dom";
import { quantileLabel } from "./format";
import type { HistoryPoint } from "./types";

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  series: { label: string; color: string; get: (p: HistoryPoint) => number | null; dash?: number[] }[];
}

const lineColors = ["#2563eb", "#ea580c", "#9333ea", "#0891b2", "#ca8a04", "#db2777"];

// ordinal names a percentile as the charts' legends do: "95th percentile".
function ordinal(q: number): string {
  if (q === 1) return "100th percentile (max)";
  const label = quantileLabel(q).replace("%", "");
  const n = Number(label);
  const suffix = Number.isInteger(n) && n % 10 === 1 && n % 100 !== 11 ? "st" : Number.isInteger(n) && n % 10 === 2 && n % 100 !== 12 ? "nd" : Number.isInteger(n) && n % 10 === 3 && n % 100 !== 13 ? "rd" : "th";
  return `${label}${suffix} percentile`;
}

// percentileSeries are the response time lines: one per chart percentile
// (the points' p), or, without chart percentiles (a stored run), the
// 50th, 95th and 99th.
function percentileSeries(quantiles?: number[]): ChartSpec["series"] {
  if (!quantiles || quantiles.length === 0) {
    return [
      { label: "50th percentile", color: lineColors[0], get: (p) => p.p50 },
      { label: "95th percentile", color: lineColors[1], get: (p) => p.p95 },
      { label: "99th percentile", color: lineColors[2], get: (p) => p.p99 },
    ];
  }
  return quantiles.map((q, i) => ({
    label: ordinal(q),
    color: lineColors[i % lineColors.length],
    get: (p: HistoryPoint) => (p.p && i < p.p.length ? p.p[i] : null),
  }));
}

// chartSpecs are the three charts of the whole test, or (row) the two of
// one row of the statistics table.
function chartSpecs(quantiles: number[] | undefined, row: boolean): ChartSpec[] {
  const rps: ChartSpec = {
    id: "chart-rps",
    title: row ? "Requests per second" : "Total requests per second",
    unit: "req/s",
    series: [
      { label: "RPS", color: "#16a34a", get: (p) => p.rps },
      { label: "Failures/s", color: "#dc2626", get: (p) => p.fps },
    ],
  };
  const rt: ChartSpec = {
    id: "chart-rt",
    title: "Response times (ms)",
    unit: "ms",
    series: percentileSeries(quantiles),
  };
  if (row) return [rps, rt];
  rt.series.push({ label: "Average", color: "#64748b", get: (p) => p.avg, dash: [4, 4] });
  return [
    rps,
    rt,
    { id: "chart-users", title: "Number of users", unit: "users", series: [{ label: "Users", color: "#0d9488", get: (p) => p.u }] },
  ];
}

function axisColor(): string {
  return getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#64748b";
}

function gridColor(): string {
  return getComputedStyle(document.documentElement).getPropertyValue("--grid").trim() || "#e2e8f0";
}

// Charts keeps the charts of a history: the whole test's three, or the
// two of one row (opts.row).
export class Charts {
  private plots: uPlot[] = [];
  private boxes: HTMLElement[] = [];
  private data: HistoryPoint[] = [];
  private specs: ChartSpec[];
  readonly element: HTMLElement;

  // prefix is put before the charts' element ids, so that a page can
  // hold more than one set. quantiles are the chart percentiles of the
  // points' p (Info.chart_percentiles).
  constructor(private prefix = "", private opts: { quantiles?: number[]; row?: boolean } = {}) {
    this.element = el("div", { class: "charts" });
    this.specs = chartSpecs(opts.quantiles, !!opts.row);
    this.build();
  }

  private build(): void {
    for (const p of this.plots) p.destroy();
    this.plots = [];
    this.boxes = [];
    this.element.replaceChildren();
    for (const s of this.specs) {
      const box = el("div", { class: "chart", id: this.prefix + s.id });
      this.element.appendChild(el("figure", { class: "chart-card" }, el("figcaption", null, s.title), box));
      this.boxes.push(box);
    }
  }

  // setQuantiles changes the response time lines to the chart
  // percentiles qs (once the server has said which).
  setQuantiles(qs: number[] | undefined): void {
    const same = (this.opts.quantiles ?? []).join(",") === (qs ?? []).join(",");
    if (same) return;
    this.opts.quantiles = qs;
    this.specs = chartSpecs(qs, !!this.opts.row);
    this.build();
  }

  private size(box: HTMLElement): { width: number; height: number } {
    return { width: Math.max(300, box.clientWidth || 600), height: this.opts.row ? 200 : 240 };
  }

  // init creates the plots; call it when the element is in the page and
  // visible (uPlot measures its container).
  private init(): void {
    if (this.plots.length) return;
    this.specs.forEach((s, i) => {
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
    return [this.data.map((p) => p.t), ...s.series.map((ser) => this.data.map(ser.get))] as uPlot.AlignedData;
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
      p.setData(this.aligned(this.specs[i]));
    });
  }

  // destroy releases the plots.
  destroy(): void {
    for (const p of this.plots) p.destroy();
    this.plots = [];
  }
}

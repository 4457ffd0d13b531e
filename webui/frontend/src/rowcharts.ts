// The per-row charts: rows ticked in the statistics table are plotted in
// the Charts tab, under the whole test's charts, from the series the
// server keeps per row (GET /stats/series).
import { el } from "./dom";
import { Charts } from "./charts";
import type { Entry, HistoryPoint } from "./types";
import { rowKey } from "./tables";

// maxRows bounds the rows charted at once.
export const maxChartedRows = 4;

interface RowChart {
  method: string;
  name: string;
  charts: Charts;
  box: HTMLElement;
  note: HTMLElement;
}

export class RowCharts {
  readonly element: HTMLElement;
  private list: HTMLElement;
  private hint: HTMLElement;
  private rows = new Map<string, RowChart>();
  private quantiles: number[] | undefined;
  private seq = 0;

  constructor() {
    this.hint = el("p", { class: "note", id: "row-charts-hint" }, "Tick rows in the Statistics table (the Chart column) to plot them here.");
    this.list = el("div", { class: "row-charts", id: "row-charts" });
    this.element = el("section", { class: "row-charts-box" }, el("h3", null, "Selected rows"), this.hint, this.list);
  }

  setQuantiles(qs: number[] | undefined): void {
    this.quantiles = qs;
    for (const r of this.rows.values()) r.charts.setQuantiles(qs);
  }

  has(e: Entry): boolean {
    return this.rows.has(rowKey(e));
  }

  // toggle adds or removes a row; it answers false when the row cannot
  // be added (too many rows).
  toggle(e: Entry, on: boolean): boolean {
    const k = rowKey(e);
    if (!on) {
      const r = this.rows.get(k);
      if (r) {
        r.charts.destroy();
        r.box.remove();
        this.rows.delete(k);
      }
      this.updateHint();
      return true;
    }
    if (this.rows.has(k)) return true;
    if (this.rows.size >= maxChartedRows) {
      this.hint.textContent = `At most ${maxChartedRows} rows are charted at once: untick one first.`;
      return false;
    }
    const id = "row-" + ++this.seq + "-";
    const charts = new Charts(id, { quantiles: this.quantiles, row: true });
    const note = el("p", { class: "note" });
    const title = `${e.method} ${e.name}`.trim();
    const box = el("div", { class: "row-chart-card", "data-name": e.name, "data-method": e.method }, el("h4", null, title), note, charts.element);
    this.list.appendChild(box);
    this.rows.set(k, { method: e.method, name: e.name, charts, box, note });
    this.updateHint();
    return true;
  }

  private updateHint(): void {
    this.hint.textContent = this.rows.size
      ? "The rows ticked in the Statistics table: current requests per second and response time percentiles."
      : "Tick rows in the Statistics table (the Chart column) to plot them here.";
  }

  // load fetches every charted row's series and draws it if visible.
  async load(): Promise<void> {
    await Promise.all(
      [...this.rows.values()].map(async (r) => {
        const q = new URLSearchParams({ method: r.method, name: r.name });
        try {
          const resp = await fetch("stats/series?" + q.toString(), { cache: "no-store" });
          const data = (await resp.json().catch(() => ({}))) as { points?: HistoryPoint[]; message?: string };
          if (!resp.ok) {
            r.note.textContent = data.message || `The server answered ${resp.status}.`;
            r.charts.set([], true);
          } else {
            r.note.textContent = "";
            r.charts.set(data.points ?? [], true);
          }
          r.charts.draw();
        } catch {
          r.note.textContent = "Cannot reach the server.";
        }
      }),
    );
  }

  draw(): void {
    for (const r of this.rows.values()) r.charts.draw();
  }
}

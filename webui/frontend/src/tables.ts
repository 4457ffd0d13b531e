// Tables shared by the dashboard and the HTML report.
import { el, append } from "./dom";
import * as f from "./format";
import type { Entry, ErrorRow, ExceptionRow, Ratios, Worker } from "./types";

export interface Column<T> {
  key: string;
  label: string;
  value: (row: T) => number | string;
  format?: (v: number) => string;
  cell?: (row: T) => Node;
  title?: string;
}

interface SortState {
  key: string;
  desc: boolean;
}

// Table renders rows into a <table>, sortable by clicking a header when
// sortable is set. Rows for which pinned() is true (the Aggregated row)
// stay last.
export class Table<T> {
  private sort: SortState | null = null;
  private rows: T[] = [];
  readonly element: HTMLTableElement;
  private body: HTMLTableSectionElement;

  constructor(
    private columns: Column<T>[],
    opts: { sortable?: boolean; pinned?: (row: T) => boolean; empty?: string; id?: string } = {},
  ) {
    this.opts = opts;
    this.element = el("table", { class: "data", id: opts.id });
    const tr = el("tr");
    for (const c of columns) {
      const th = el("th", { scope: "col", title: c.title, "data-key": c.key }, c.label);
      if (opts.sortable) {
        th.classList.add("sortable");
        th.tabIndex = 0;
        const act = () => this.toggleSort(c.key);
        th.addEventListener("click", act);
        th.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            act();
          }
        });
      }
      tr.appendChild(th);
    }
    this.element.appendChild(el("thead", null, tr));
    this.body = el("tbody");
    this.element.appendChild(this.body);
  }

  private opts: { sortable?: boolean; pinned?: (row: T) => boolean; empty?: string };

  private toggleSort(key: string): void {
    if (this.sort && this.sort.key === key) {
      if (this.sort.desc) this.sort = null;
      else this.sort.desc = true;
    } else {
      this.sort = { key, desc: false };
    }
    for (const th of Array.from(this.element.tHead!.rows[0].cells)) {
      const k = th.getAttribute("data-key");
      th.setAttribute("aria-sort", this.sort && this.sort.key === k ? (this.sort.desc ? "descending" : "ascending") : "none");
    }
    this.render(this.rows);
  }

  render(rows: T[]): void {
    this.rows = rows;
    let list = rows.slice();
    const pinned = this.opts.pinned;
    const tail = pinned ? list.filter(pinned) : [];
    if (pinned) list = list.filter((r) => !pinned(r));
    if (this.sort) {
      const col = this.columns.find((c) => c.key === this.sort!.key)!;
      const dir = this.sort.desc ? -1 : 1;
      list.sort((a, b) => {
        const va = col.value(a), vb = col.value(b);
        return (typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb))) * dir;
      });
    }
    const body = el("tbody");
    if (list.length + tail.length === 0 && this.opts.empty) {
      body.appendChild(el("tr", { class: "empty" }, el("td", { colspan: String(this.columns.length) }, this.opts.empty)));
    }
    for (const r of list.concat(tail)) {
      const tr = el("tr", pinned && pinned(r) ? { class: "total" } : null);
      for (const c of this.columns) {
        const v = c.value(r);
        const td = el("td", typeof v === "number" ? { class: "num" } : null);
        append(td, c.cell ? c.cell(r) : typeof v === "number" ? (c.format ? c.format(v) : String(v)) : v);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    this.element.replaceChild(body, this.body);
    this.body = body;
  }
}

const isTotal = (e: Entry) => e.name === "Aggregated" && e.method === "";

// rowKey identifies a row of the statistics table.
export const rowKey = (e: Entry) => e.method + "\u0000" + e.name;

// StatsTableOptions configure the live statistics table: the percentile
// columns offered (Info.percentiles, the values in Entry.quantiles) and
// shown, and the per-row chart check boxes.
export interface StatsTableOptions {
  quantiles: number[];
  shown: number[];
  charted: (e: Entry) => boolean;
  toggleChart: (e: Entry, on: boolean) => void;
}

// percentileValue returns a row's response time at q: from quantiles
// when the server sent them, else the fixed 95th and 99th fields.
function percentileValue(e: Entry, quantiles: number[], q: number): number {
  const i = quantiles.indexOf(q);
  if (e.quantiles && i >= 0 && i < e.quantiles.length) return e.quantiles[i];
  if (q === 0.95) return e["response_time_percentile_0.95"];
  if (q === 0.99) return e["response_time_percentile_0.99"];
  return NaN;
}

export function liveStatsTable(o: StatsTableOptions): Table<Entry> {
  const pcts: Column<Entry>[] = o.shown.map((q) => ({
    key: "q" + q,
    label: quantileColumnLabel(q),
    value: (e: Entry) => percentileValue(e, o.quantiles, q),
    format: f.ms,
  }));
  return new Table<Entry>(
    [
      { key: "method", label: "Type", value: (e) => e.method },
      { key: "name", label: "Name", value: (e) => e.name },
      { key: "num_requests", label: "# Requests", value: (e) => e.num_requests, format: f.int },
      { key: "num_failures", label: "# Fails", value: (e) => e.num_failures, format: f.int },
      { key: "num_aborted", label: "# Aborted", value: (e) => e.num_aborted ?? 0, format: f.int },
      { key: "median", label: "Median (ms)", value: (e) => e.median_response_time, format: f.ms },
      ...pcts,
      { key: "avg", label: "Average (ms)", value: (e) => e.avg_response_time, format: f.ms },
      { key: "min", label: "Min (ms)", value: (e) => e.min_response_time, format: f.ms },
      { key: "max", label: "Max (ms)", value: (e) => e.max_response_time, format: f.ms },
      { key: "size", label: "Average size (bytes)", value: (e) => e.avg_content_length, format: f.int },
      { key: "rps", label: "Current RPS", value: (e) => e.current_rps, format: f.rate },
      { key: "fps", label: "Current Failures/s", value: (e) => e.current_fail_per_sec, format: f.rate },
      {
        key: "chart",
        label: "Chart",
        title: "Tick to plot the row in the Charts tab",
        value: (e) => (o.charted(e) ? 1 : 0),
        cell: (e) => {
          if (isTotal(e)) return document.createTextNode(""); // the Charts tab's own charts
          const c = el("input", { type: "checkbox", class: "row-chart", "data-name": e.name, "data-method": e.method, "aria-label": `Chart ${e.method} ${e.name}`.trim() });
          c.checked = o.charted(e);
          c.addEventListener("change", () => o.toggleChart(e, c.checked));
          return c;
        },
      },
    ],
    { sortable: true, pinned: isTotal, empty: "No requests yet.", id: "stats-table" },
  );
}

// quantileColumnLabel is a percentile column's header: "95%ile (ms)".
export function quantileColumnLabel(q: number): string {
  return q === 1 ? "100%ile (ms)" : f.quantileLabel(q) + "ile (ms)";
}

export function reportStatsTable(): Table<Entry> {
  return new Table<Entry>(
    [
      { key: "method", label: "Type", value: (e) => e.method },
      { key: "name", label: "Name", value: (e) => e.name },
      { key: "num_requests", label: "# Requests", value: (e) => e.num_requests, format: f.int },
      { key: "num_failures", label: "# Fails", value: (e) => e.num_failures, format: f.int },
      { key: "num_aborted", label: "# Aborted", value: (e) => e.num_aborted ?? 0, format: f.int },
      { key: "avg", label: "Average (ms)", value: (e) => e.avg_response_time, format: f.ms },
      { key: "min", label: "Min (ms)", value: (e) => e.min_response_time, format: f.ms },
      { key: "max", label: "Max (ms)", value: (e) => e.max_response_time, format: f.ms },
      { key: "size", label: "Average size (bytes)", value: (e) => e.avg_content_length, format: f.int },
      { key: "rps", label: "RPS", value: (e) => e.total_rps, format: f.rate },
      { key: "fps", label: "Failures/s", value: (e) => e.total_fail_per_sec, format: f.rate },
    ],
    { sortable: true, pinned: isTotal, empty: "No requests.", id: "report-stats" },
  );
}

export function percentileTable(quantiles: number[]): Table<Entry> {
  const cols: Column<Entry>[] = [
    { key: "method", label: "Type", value: (e) => e.method },
    { key: "name", label: "Name", value: (e) => e.name },
  ];
  quantiles.forEach((q, i) =>
    cols.push({ key: "q" + i, label: f.quantileLabel(q), value: (e) => (e.percentiles ? e.percentiles[i] : 0), format: f.ms }),
  );
  return new Table<Entry>(cols, { sortable: true, pinned: isTotal, empty: "No requests.", id: "report-percentiles" });
}

export function failuresTable(): Table<ErrorRow> {
  return new Table<ErrorRow>(
    [
      { key: "occurrences", label: "# Failures", value: (e) => e.occurrences, format: f.int },
      { key: "method", label: "Type", value: (e) => e.method },
      { key: "name", label: "Name", value: (e) => e.name },
      { key: "error", label: "Message", value: (e) => e.error },
      { key: "last_seen", label: "Last seen", value: (e) => f.dateTime(e.last_seen) },
    ],
    { sortable: true, empty: "No failures.", id: "failures-table" },
  );
}

export function exceptionsTable(): Table<ExceptionRow> {
  return new Table<ExceptionRow>(
    [
      { key: "count", label: "Count", value: (e) => e.count, format: f.int },
      { key: "msg", label: "Message", value: (e) => e.msg },
      { key: "traceback", label: "Traceback", value: (e) => e.traceback, cell: (e) => el("pre", { class: "trace" }, e.traceback) },
      { key: "nodes", label: "Nodes", value: (e) => e.nodes.join(", ") },
    ],
    { sortable: true, empty: "No exceptions.", id: "exceptions-table" },
  );
}

export function workersTable(): Table<Worker> {
  return new Table<Worker>(
    [
      { key: "id", label: "Worker", value: (w) => w.id },
      { key: "state", label: "State", value: (w) => w.state },
      { key: "users", label: "Users", value: (w) => w.user_count, format: f.int },
      { key: "cpu", label: "CPU", value: (w) => w.cpu_usage, format: (v) => v.toFixed(0) + "%" },
      { key: "mem", label: "Memory", value: (w) => w.memory_usage, format: f.bytes },
      { key: "hb", label: "Last heartbeat", value: (w) => f.dateTime(w.last_heartbeat) },
    ],
    { sortable: true, empty: "No workers connected.", id: "workers-table" },
  );
}

// ratiosList renders class and task ratios as nested lists.
export function ratiosList(r: Ratios | undefined | null): HTMLElement {
  const box = el("div", { class: "ratios" });
  if (!r) return box;
  for (const [title, part] of [
    ["Ratio per class", r.per_class],
    ["Total ratio", r.total],
  ] as const) {
    const ul = el("ul");
    for (const cls of Object.keys(part || {}).sort()) {
      const c = part[cls];
      const tasks = el("ul");
      for (const t of Object.keys(c.tasks || {}).sort()) {
        tasks.appendChild(el("li", null, el("span", { class: "ratio" }, f.pct(c.tasks[t].ratio)), " ", t));
      }
      ul.appendChild(el("li", null, el("span", { class: "ratio" }, f.pct(c.ratio)), " ", el("strong", null, cls), tasks));
    }
    box.appendChild(el("section", null, el("h3", null, title), ul));
  }
  return box;
}

// The History tab: the runs of the run store (GET /history/runs) with
// filters and pages, a past run opened read-only, two or more runs
// compared side by side, and deletion for admins. Every string from the
// server is shown as text.
import uPlot from "uplot";
import { el } from "./dom";
import * as f from "./format";
import { Charts } from "./charts";
import { Table, failuresTable } from "./tables";
import type { Entry, HistoryPoint, View } from "./types";
import { can, del, session } from "./session";

export interface RunSummary {
  id: string;
  start: string;
  end?: string;
  status: string;
  end_reason?: string;
  verdict?: string;
  host?: string;
  users: number;
  profile?: string;
  labels?: Record<string, string>;
  requests: number;
  failures: number;
  p95_ns: number;
  rps: number;
  duration: number;
  fail_ratio: number;
}

interface RunBody {
  run: RunSummary;
  detail: { build: { module?: string; version?: string; revision?: string }; thresholds?: { threshold: string; pass: boolean; observed: string; baseline?: string }[] };
  view: View;
  history: HistoryPoint[];
}

interface CompareStat {
  present: boolean;
  requests: number;
  rps: number;
  fail_ratio: number;
  p50: number;
  p95: number;
  p99: number;
  delta: Record<string, number | null>;
  beyond: string[];
}

interface CompareBody {
  tolerance: number;
  runs: RunSummary[];
  rows: { method: string; name: string; runs: CompareStat[] }[];
  series: { id: string; t: number[]; rps: number[]; p95: number[]; users: number[] }[];
}

const pageSize = 20;

function labels(l?: Record<string, string>): string {
  if (!l) return "";
  return Object.keys(l)
    .sort()
    .map((k) => `${k}=${l[k]}`)
    .join(" ");
}

function when(s: RunSummary): string {
  return f.dateTime(Date.parse(s.start) / 1000);
}

function verdict(s: RunSummary): string {
  if (s.status !== "finished") return s.status;
  return s.verdict || "—";
}

async function getJSON<T>(url: string): Promise<T> {
  const r = await fetch(url, { cache: "no-store" });
  const body = await r.json();
  if (!r.ok) throw new Error((body && body.message) || `HTTP ${r.status}`);
  return body as T;
}

function historyStatsTable(id: string): Table<Entry> {
  return new Table<Entry>(
    [
      { key: "method", label: "Type", value: (e) => e.method },
      { key: "name", label: "Name", value: (e) => e.name },
      { key: "num_requests", label: "# Requests", value: (e) => e.num_requests, format: f.int },
      { key: "num_failures", label: "# Fails", value: (e) => e.num_failures, format: f.int },
      { key: "median", label: "Median (ms)", value: (e) => e.median_response_time, format: f.ms },
      { key: "p95", label: "95%ile (ms)", value: (e) => e["response_time_percentile_0.95"], format: f.ms },
      { key: "p99", label: "99%ile (ms)", value: (e) => e["response_time_percentile_0.99"], format: f.ms },
      { key: "avg", label: "Average (ms)", value: (e) => e.avg_response_time, format: f.ms },
      { key: "min", label: "Min (ms)", value: (e) => e.min_response_time, format: f.ms },
      { key: "max", label: "Max (ms)", value: (e) => e.max_response_time, format: f.ms },
      { key: "rps", label: "RPS", value: (e) => e.total_rps, format: f.rate },
      { key: "fps", label: "Failures/s", value: (e) => e.total_fail_per_sec, format: f.rate },
    ],
    { sortable: true, pinned: (e) => e.name === "Aggregated" && e.method === "", empty: "No requests.", id },
  );
}

// HistoryPanel is the History tab.
export class HistoryPanel {
  readonly element: HTMLElement;
  private note = el("p", { class: "note", id: "history-note" });
  private offset = 0;
  private total = 0;
  private selected = new Set<string>();
  private listBox: HTMLElement;
  private runBox = el("div", { id: "history-run", hidden: "" });
  private cmpBox = el("div", { id: "history-compare", hidden: "" });
  private pager = el("span", { class: "note", id: "history-page" });
  private prev = el("button", { type: "button", class: "btn", id: "history-prev" }, "Previous");
  private next = el("button", { type: "button", class: "btn", id: "history-next" }, "Next");
  private compareBtn = el("button", { type: "button", class: "btn primary", id: "history-compare-btn", disabled: "" }, "Compare selected");
  private filters: Record<string, HTMLInputElement> = {};
  private runCharts = new Charts("history-");
  private cmpPlots: uPlot[] = [];
  private table = new Table<RunSummary>(
    [
      {
        key: "sel",
        label: "",
        value: (s) => s.id,
        cell: (s) => {
          const c = el("input", { type: "checkbox", class: "history-select", "data-id": s.id, "aria-label": "Select run " + s.id });
          c.checked = this.selected.has(s.id);
          c.addEventListener("change", () => {
            if (c.checked) this.selected.add(s.id);
            else this.selected.delete(s.id);
            this.compareBtn.disabled = this.selected.size < 2;
          });
          return c;
        },
      },
      { key: "start", label: "Date", value: (s) => when(s) },
      { key: "duration", label: "Duration", value: (s) => s.duration, format: f.duration },
      { key: "labels", label: "Labels", value: (s) => labels(s.labels) + (s.profile ? ` profile=${s.profile}` : "") },
      { key: "host", label: "Host", value: (s) => s.host ?? "" },
      { key: "users", label: "Users", value: (s) => s.users, format: f.int },
      { key: "requests", label: "Requests", value: (s) => s.requests, format: f.int },
      { key: "fail_ratio", label: "Failures", value: (s) => s.fail_ratio, format: f.pct },
      { key: "p95", label: "95%ile (ms)", value: (s) => s.p95_ns / 1e6, format: f.ms },
      { key: "verdict", label: "Verdict", value: (s) => verdict(s) },
      {
        key: "actions",
        label: "",
        value: (s) => s.id,
        cell: (s) => {
          const open = el("button", { type: "button", class: "btn history-open", "data-id": s.id }, "Open");
          open.addEventListener("click", () => void this.open(s.id));
          const box = el("span", { class: "actions" }, open);
          if (session()?.role === "admin") {
            const d = el("button", { type: "button", class: "btn danger history-delete", "data-id": s.id }, "Delete");
            d.addEventListener("click", () => void this.remove(s.id));
            box.appendChild(d);
          }
          return box;
        },
      },
    ],
    { empty: "No runs stored yet.", id: "history-table" },
  );

  constructor() {
    const form = el("form", { class: "history-filters", id: "history-filters" });
    for (const [name, label, type, ph] of [
      ["label", "Labels", "text", "key=value key2=value2"],
      ["host", "Host", "text", "https://…"],
      ["profile", "Profile", "text", ""],
      ["since", "From", "date", ""],
      ["until", "To", "date", ""],
    ]) {
      const i = el("input", { type, name, id: "history-f-" + name, placeholder: ph || undefined });
      this.filters[name] = i;
      form.appendChild(el("label", null, label + " ", i));
    }
    form.appendChild(el("button", { type: "submit", class: "btn" }, "Filter"));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.offset = 0;
      void this.load();
    });
    this.prev.addEventListener("click", () => {
      this.offset = Math.max(0, this.offset - pageSize);
      void this.load();
    });
    this.next.addEventListener("click", () => {
      this.offset += pageSize;
      void this.load();
    });
    this.compareBtn.addEventListener("click", () => void this.compare(Array.from(this.selected)));
    this.listBox = el(
      "div",
      { id: "history-list" },
      form,
      this.note,
      this.table.element,
      el("div", { class: "history-pager" }, this.prev, this.pager, this.next, this.compareBtn),
    );
    this.element = el("div", { class: "history" }, this.listBox, this.runBox, this.cmpBox);
  }

  private query(): string {
    const q = new URLSearchParams();
    for (const kv of this.filters.label.value.split(/[\s,]+/)) if (kv) q.append("label", kv);
    for (const k of ["host", "profile", "since", "until"]) if (this.filters[k].value) q.set(k, this.filters[k].value);
    q.set("limit", String(pageSize));
    q.set("offset", String(this.offset));
    return q.toString();
  }

  // load reads the current page of the list.
  async load(): Promise<void> {
    try {
      const d = await getJSON<{ runs: RunSummary[]; total: number }>("history/runs?" + this.query());
      this.total = d.total;
      this.table.render(d.runs);
      const from = d.runs.length ? this.offset + 1 : 0;
      this.pager.textContent = `Runs ${from}–${this.offset + d.runs.length} of ${d.total}`;
      this.prev.disabled = this.offset === 0;
      this.next.disabled = this.offset + d.runs.length >= this.total;
      this.note.textContent = "";
    } catch (e) {
      this.note.textContent = "Cannot list the runs: " + (e as Error).message;
    }
  }

  // visible reports whether the list (not a run or a comparison) shows.
  listShown(): boolean {
    return !this.listBox.hidden;
  }

  private show(box: HTMLElement): void {
    for (const b of [this.listBox, this.runBox, this.cmpBox]) b.hidden = b !== box;
  }

  private back(): HTMLElement {
    const b = el("button", { type: "button", class: "btn history-back" }, "Back to the runs");
    b.addEventListener("click", () => {
      this.show(this.listBox);
      void this.load();
    });
    return b;
  }

  // open shows a past run, read-only.
  async open(id: string): Promise<void> {
    let d: RunBody;
    try {
      d = await getJSON<RunBody>("history/runs/" + encodeURIComponent(id));
    } catch (e) {
      this.note.textContent = "Cannot open the run: " + (e as Error).message;
      return;
    }
    const s = d.run;
    const stats = historyStatsTable("history-run-stats");
    stats.render(d.view.stats);
    const fails = failuresTable();
    fails.render(d.view.errors);
    this.runCharts.set(d.history ?? [], true);
    const info = el(
      "dl",
      { class: "history-info" },
      el("dt", null, "Run"), el("dd", { id: "history-run-id" }, s.id),
      el("dt", null, "Started"), el("dd", null, when(s)),
      el("dt", null, "Duration"), el("dd", null, f.duration(s.duration)),
      el("dt", null, "Status"), el("dd", null, s.status + (s.end_reason ? ` (${s.end_reason})` : "")),
      el("dt", null, "Verdict"), el("dd", null, verdict(s)),
      el("dt", null, "Host"), el("dd", null, s.host ?? ""),
      el("dt", null, "Users"), el("dd", null, String(s.users)),
      el("dt", null, "Labels"), el("dd", null, labels(s.labels)),
      el("dt", null, "Build"), el("dd", null, [d.detail.build.module, d.detail.build.version, d.detail.build.revision].filter(Boolean).join(" ")),
    );
    const th = d.detail.thresholds ?? [];
    const thList = th.length
      ? el("ul", { class: "history-thresholds" }, ...th.map((t) => el("li", null, `${t.pass ? "pass" : "FAIL"}: ${t.threshold} (observed ${t.observed}${t.baseline ? `, baseline ${t.baseline}` : ""})`)))
      : "";
    const report = el("a", { href: `history/runs/${encodeURIComponent(s.id)}/report`, target: "_blank", rel: "noopener", id: "history-report" }, "HTML report");
    this.runBox.replaceChildren(
      el("div", { class: "history-bar" }, this.back(), report),
      info,
      thList,
      el("h3", null, "Statistics"),
      stats.element,
      el("h3", null, "Charts"),
      this.runCharts.element,
      el("h3", null, "Failures"),
      fails.element,
    );
    this.show(this.runBox);
    this.runCharts.draw();
  }

  // compare shows runs side by side, compared with the first.
  async compare(ids: string[]): Promise<void> {
    if (ids.length < 2) return;
    const q = new URLSearchParams();
    for (const id of ids) q.append("id", id);
    let d: CompareBody;
    try {
      d = await getJSON<CompareBody>("history/compare?" + q.toString());
    } catch (e) {
      this.note.textContent = "Cannot compare the runs: " + (e as Error).message;
      return;
    }
    const head1 = el("tr", null, el("th", { rowspan: "2" }, "Type"), el("th", { rowspan: "2" }, "Name"));
    const head2 = el("tr");
    const figs: [string, string, (s: CompareStat) => number, (x: number) => string][] = [
      ["rps", "RPS", (s) => s.rps, f.rate],
      ["fail_ratio", "Failures", (s) => s.fail_ratio, f.pct],
      ["p50", "Median (ms)", (s) => s.p50, f.ms],
      ["p95", "95%ile (ms)", (s) => s.p95, f.ms],
      ["p99", "99%ile (ms)", (s) => s.p99, f.ms],
    ];
    d.runs.forEach((r, i) => {
      head1.appendChild(el("th", { colspan: String(figs.length), title: r.id }, (i === 0 ? "Reference: " : "") + when(r) + " " + labels(r.labels)));
      for (const [, label] of figs) head2.appendChild(el("th", { scope: "col" }, label));
    });
    const body = el("tbody");
    for (const row of d.rows) {
      const tr = el("tr", row.name === "Aggregated" && row.method === "" ? { class: "total" } : null, el("td", null, row.method), el("td", null, row.name));
      row.runs.forEach((st, i) => {
        for (const [key, , get, fmt] of figs) {
          if (!st.present) {
            tr.appendChild(el("td", { class: "num" }, "—"));
            continue;
          }
          // Beyond the tolerance: worse (fewer requests/s, more failures,
          // slower) in red, better in green.
          const dv0 = st.delta[key];
          const worse = dv0 === null || (key === "rps" ? dv0 < 0 : dv0 > 0);
          const mark = st.beyond.includes(key) ? (worse ? " beyond worse" : " beyond better") : "";
          const td = el("td", { class: "num" + mark }, fmt(get(st)));
          if (i > 0) {
            const dv = st.delta[key];
            td.appendChild(el("span", { class: "delta" }, dv === null ? " (new)" : ` (${dv >= 0 ? "+" : ""}${(dv * 100).toFixed(1)}%)`));
          }
          tr.appendChild(td);
        }
      });
      body.appendChild(tr);
    }
    const table = el("table", { class: "data", id: "history-compare-table" }, el("thead", null, head1, head2), body);
    const charts = el("div", { class: "charts" });
    this.cmpBox.replaceChildren(
      el("div", { class: "history-bar" }, this.back()),
      el("p", { class: "note" }, `Compared with the first run; changes beyond ${(d.tolerance * 100).toFixed(0)}% are marked.`),
      table,
      el("h3", null, "Charts (seconds since start)"),
      charts,
    );
    this.show(this.cmpBox);
    this.overlay(charts, d);
  }

  // overlay draws the compared runs' RPS and 95th percentile on a
  // time-since-start axis.
  private overlay(box: HTMLElement, d: CompareBody): void {
    for (const p of this.cmpPlots) p.destroy();
    this.cmpPlots = [];
    const xs = Array.from(new Set(d.series.flatMap((s) => s.t.map((t) => Math.round(t))))).sort((a, b) => a - b);
    const colors = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#dc2626", "#0d9488", "#64748b", "#ca8a04", "#db2777", "#4f46e5"];
    for (const [title, get] of [
      ["Requests per second", (s: CompareBody["series"][0]) => s.rps],
      ["95th percentile (ms)", (s: CompareBody["series"][0]) => s.p95],
    ] as [string, (s: CompareBody["series"][0]) => number[]][]) {
      const chart = el("div", { class: "chart" });
      box.appendChild(el("figure", { class: "chart-card" }, el("figcaption", null, title), chart));
      const data: (number | null)[][] = [xs];
      for (const s of d.series) {
        const at = new Map<number, number>();
        s.t.forEach((t, i) => at.set(Math.round(t), get(s)[i]));
        data.push(xs.map((x) => (at.has(x) ? at.get(x)! : null)));
      }
      const opts: uPlot.Options = {
        width: Math.max(300, box.clientWidth || 600),
        height: 240,
        scales: { x: { time: false } },
        series: [{ label: "s" }, ...d.series.map((s, i) => ({ label: i === 0 ? s.id + " (reference)" : s.id, stroke: colors[i % colors.length], width: 2, spanGaps: true, points: { show: false } }))],
      };
      this.cmpPlots.push(new uPlot(opts, data as uPlot.AlignedData, chart));
    }
  }

  // remove deletes a run (admins), after a confirmation.
  async remove(id: string): Promise<void> {
    if (!window.confirm(`Delete run ${id}? This cannot be undone.`)) return;
    const r = await del("history/runs/" + encodeURIComponent(id));
    if (!r.ok) {
      let msg = `HTTP ${r.status}`;
      try {
        msg = (await r.json()).message || msg;
      } catch {
        /* keep the status */
      }
      this.note.textContent = "Cannot delete the run: " + msg;
      return;
    }
    this.selected.delete(id);
    this.compareBtn.disabled = this.selected.size < 2;
    await this.load();
    this.note.textContent = `Run ${id} deleted.`;
  }

  // redraw fits the charts to the page.
  redraw(): void {
    if (!this.runBox.hidden) this.runCharts.draw();
  }
}

export const historyEnabled = (): boolean => session()?.history === true && can("view");

// The open model and the thresholds, shared by the dashboard and the HTML
// report: the schedule summary (dropped iterations, lag, response and
// service time) and the verdict table. Every string is shown as text.
import { el } from "./dom";
import * as f from "./format";
import { Table } from "./tables";
import type { Schedule, ThresholdResult, Timing, Verdict } from "./types";

interface TimingRow {
  name: string;
  t: Timing;
}

// ScheduleSummary shows the counters of the schedule, dropped iterations
// first and in red when there are any, and a table of the timings.
export class ScheduleSummary {
  readonly element: HTMLElement;
  private counters: HTMLElement;
  private table: Table<TimingRow>;

  constructor() {
    const col = (key: keyof Timing, label: string) => ({ key, label, value: (r: TimingRow) => r.t[key], format: f.ms });
    this.table = new Table<TimingRow>(
      [
        { key: "name", label: "Timing (ms)", value: (r) => r.name },
        { key: "count", label: "# Iterations", value: (r) => r.t.count, format: f.int },
        col("avg", "Average"),
        col("min", "Min"),
        col("p50", "50%ile"),
        col("p90", "90%ile"),
        col("p95", "95%ile"),
        col("p99", "99%ile"),
        col("p99_9", "99.9%ile"),
        col("max", "Max"),
      ],
      { id: "schedule-table" },
    );
    this.counters = el("p", { class: "schedule-counters", id: "schedule-counters" });
    this.element = el("div", { class: "schedule", id: "schedule" }, this.counters, this.table.element);
    this.element.hidden = true;
  }

  render(s: Schedule | undefined): void {
    this.element.hidden = !s;
    if (!s) return;
    const parts: Node[] = [];
    if (s.scheduled > 0 || s.dropped > 0) {
      parts.push(
        el("span", { class: "counter" + (s.dropped > 0 ? " bad" : ""), id: "schedule-dropped" },
          el("strong", null, f.int(s.dropped)), ` dropped (${f.pct(s.dropped_ratio)})`),
        el("span", { class: "counter" }, el("strong", null, f.int(s.scheduled)), " scheduled"),
      );
    }
    if (s.missed > 0 || s.scheduled === 0) {
      parts.push(el("span", { class: "counter" + (s.missed > 0 ? " bad" : "") }, el("strong", null, f.int(s.missed)), " paced starts missed"));
    }
    parts.push(el("span", { class: "counter" }, "lag p99 ", el("strong", null, f.ms(s.lag.p99) + " ms"), ", max ", el("strong", null, f.ms(s.lag.max) + " ms")));
    this.counters.replaceChildren(el("span", { class: "label" }, "Schedule"), ...parts);
    const rows: TimingRow[] = [
      { name: "Schedule lag", t: s.lag },
      { name: "Response time (from schedule)", t: s.response_time },
      { name: "Service time", t: s.service_time },
    ];
    this.table.render(rows.filter((r) => r.t.count > 0));
  }
}

// verdictCounts returns the thresholds that pass and all of them.
export function verdictCounts(v: Verdict): [number, number] {
  return [v.results.filter((r) => r.pass).length, v.results.length];
}

// VerdictPanel shows the verdict and one row per threshold.
export class VerdictPanel {
  readonly element: HTMLElement;
  private summary: HTMLElement;
  private table: Table<ThresholdResult>;

  constructor() {
    this.table = new Table<ThresholdResult>(
      [
        { key: "pass", label: "Result", value: (r) => (r.pass ? "pass" : "FAIL"),
          cell: (r) => el("span", { class: "badge " + (r.pass ? "pass" : "fail") }, r.pass ? "pass" : "FAIL") },
        { key: "threshold", label: "Threshold", value: (r) => r.threshold, cell: (r) => el("code", null, r.threshold) },
        { key: "observed", label: "Observed", value: (r) => r.observed, cell: (r) => document.createTextNode(r.observed_text) },
        { key: "checked", label: "Checked", value: (r) => (r.window_s > 0 ? `every second over the last ${f.duration(r.window_s)}` : "over the whole run") },
        { key: "abort", label: "Abort", value: (r) => (r.abort ? "stops the test" : "") },
        { key: "note", label: "Note", value: (r) => r.note },
      ],
      { empty: "No thresholds.", id: "thresholds-table" },
    );
    this.summary = el("p", { class: "verdict-summary", id: "verdict-summary" });
    this.element = el("div", { class: "verdict" }, this.summary, this.table.element);
  }

  // render shows v; running marks a verdict that may still change.
  render(v: Verdict, running: boolean): void {
    const [pass, all] = verdictCounts(v);
    const parts: (Node | string)[] = [el("strong", null, v.pass ? "PASS" : "FAIL"), ` · ${pass} of ${all} thresholds passing`];
    if (v.aborted) parts.push(" · the test was aborted by ", el("code", null, v.abort_reason));
    if (running) parts.push(" · so far: the test is running");
    this.summary.className = "verdict-summary " + (v.pass ? "pass" : "fail");
    this.summary.replaceChildren(...parts);
    this.table.render(v.results);
  }
}

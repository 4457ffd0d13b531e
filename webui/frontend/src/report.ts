// The self-contained HTML report: reads the JSON data element and draws
// tables and charts. Works offline; every string is shown as text.
import "./style.css";
import { el } from "./dom";
import * as f from "./format";
import { Charts } from "./charts";
import { exceptionsTable, failuresTable, percentileTable, ratiosList, reportStatsTable } from "./tables";
import { ScheduleSummary, VerdictPanel, verdictCounts } from "./open";
import type { ReportData } from "./types";

function section(title: string, ...body: Node[]): HTMLElement {
  return el("section", { class: "report-section" }, el("h2", null, title), ...body);
}

function render(): void {
  const root = document.getElementById("report")!;
  const data = JSON.parse(document.getElementById("report-data")!.textContent || "{}") as ReportData;
  const v = data.view;
  const end = v.time || data.generated;
  const meta = el("dl", { class: "report-meta" });
  const add = (k: string, val: string) => meta.append(el("dt", null, k), el("dd", null, val));
  add("During", `${f.dateTime(v.start_time)} – ${f.dateTime(end)} (${f.duration(end - v.start_time)})`);
  add("Target host", v.host || "—");
  add("Script", data.info.program || "—");
  add("User classes", data.info.classes.join(", "));
  const peak = data.history.reduce((m, p) => Math.max(m, p.u), v.user_count);
  add("Users", `${f.int(peak)} at peak` + (data.run_time ? `, run time ${f.duration(data.run_time)}` : ""));
  add("Requests", `${f.int(v.stats.length ? v.stats[v.stats.length - 1].num_requests : 0)}, ${f.pct(v.fail_ratio)} failed`);
  const running = v.state === "spawning" || v.state === "running";
  let verdict: HTMLElement | null = null;
  if (v.thresholds) {
    const [pass, all] = verdictCounts(v.thresholds);
    add("Verdict", `${v.thresholds.pass ? "PASS" : "FAIL"}: ${pass} of ${all} thresholds passing` +
      (v.thresholds.aborted ? ", the test was aborted" : "") + (running ? " (so far: the test was running)" : ""));
    const panel = new VerdictPanel();
    panel.render(v.thresholds, running);
    verdict = section("Thresholds", el("div", { class: "scroll" }, panel.element));
  }
  let sched: HTMLElement | null = null;
  if (v.schedule) {
    add("Iterations", `${f.int(v.schedule.scheduled)} scheduled, ${f.int(v.schedule.dropped)} dropped (${f.pct(v.schedule.dropped_ratio)})`);
    const s = new ScheduleSummary();
    s.render(v.schedule);
    sched = section("Schedule (open model)", el("div", { class: "scroll" }, s.element));
  }

  const stats = reportStatsTable();
  stats.render(v.stats);
  const pcts = percentileTable(data.quantiles);
  pcts.render(v.stats);
  const fails = failuresTable();
  fails.render(v.errors);
  const exc = exceptionsTable();
  exc.render(data.exceptions);
  const charts = new Charts("", { quantiles: data.info.chart_percentiles });
  charts.set(data.history, true);

  root.replaceChildren(
    el("header", { class: "report-head" },
      el("div", { class: "brand" }, "go", el("span", null, "locust"), " ", el("small", null, "test report")),
      el("h1", { class: "report-title", id: "report-title" }, document.title),
      meta),
    ...(verdict ? [verdict] : []),
    section("Request statistics", el("div", { class: "scroll" }, stats.element)),
    ...(sched ? [sched] : []),
    section("Response time statistics", el("div", { class: "scroll" }, pcts.element)),
    section("Failures statistics", el("div", { class: "scroll" }, fails.element)),
    section("Exceptions statistics", el("div", { class: "scroll" }, exc.element)),
    section("Charts", charts.element),
    section("Final ratio", ratiosList(data.ratios)),
    el("footer", { class: "footer" }, `Generated ${f.dateTime(data.generated)} by golocust ${data.info.version}`),
  );
  charts.draw();
  window.addEventListener("resize", () => charts.draw());
  document.body.dataset.rendered = "true";
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
else render();

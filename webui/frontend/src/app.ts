// The dashboard: live statistics over a WebSocket, the start/edit form and
// the controls. Every string from the server is shown as text.
import "./style.css";
import { $, el, setText } from "./dom";
import * as f from "./format";
import { Charts } from "./charts";
import { exceptionsTable, failuresTable, liveStatsTable, quantileColumnLabel, ratiosList, Table, workersTable } from "./tables";
import { RowCharts } from "./rowcharts";
import { ScheduleSummary, VerdictPanel, verdictCounts } from "./open";
import type { Entry, Info, LiveMessage, Ratios, View } from "./types";
import { can, loadSession, loginURL, post, session } from "./session";
import { AuditPanel } from "./auditlog";
import { HistoryPanel, historyEnabled } from "./history";
import { LogsPanel } from "./logs";

let info: Info | null = null;
let view: View | null = null;
let autoOpened = false;
let currentTab = "stats";
// pendingTab is a tab asked for in the address whose button shows only
// once the server has said it applies (Thresholds, Workers).
let pendingTab: string | null = null;

const rowCharts = new RowCharts();
// The statistics table's percentile columns: those offered (the
// server's --percentiles) and those picked, kept in localStorage.
const pctKey = "golocust.percentiles";
let offered: number[] = [0.95, 0.99];
let shown: number[] = loadShown(offered);
let stats: Table<Entry> = newStatsTable();
const statsBox = el("div", { class: "scroll" }, stats.element);
const pctPicker = el("details", { class: "pct-picker", id: "pct-picker" }, el("summary", null, "Percentile columns"));
const failures = failuresTable();
const exceptions = exceptionsTable();
const workers = workersTable();
const charts = new Charts();
const schedule = new ScheduleSummary();
const verdict = new VerdictPanel();
const auditPanel = new AuditPanel();
const historyPanel = new HistoryPanel();
// lastState is the state of the previous update: the History list
// refreshes when a test ends.
let lastState = "";
const logsPanel = new LogsPanel();

function loadShown(avail: number[]): number[] {
  try {
    const saved = JSON.parse(localStorage.getItem(pctKey) || "null") as unknown;
    if (Array.isArray(saved)) return avail.filter((q) => saved.includes(q));
  } catch {
    /* a damaged entry: the defaults */
  }
  // As Locust's table (PERCENTILES_TO_STATISTICS): the 95th and 99th.
  return avail.filter((q) => q === 0.95 || q === 0.99);
}

function newStatsTable(): Table<Entry> {
  return liveStatsTable({
    quantiles: offered,
    shown,
    charted: (e) => rowCharts.has(e),
    toggleChart: (e, on) => {
      if (!rowCharts.toggle(e, on)) stats.render(view?.stats ?? []);
      else if (on) void rowCharts.load();
    },
  });
}

// setPercentiles rebuilds the table's percentile columns.
function setPercentiles(avail: number[], pick: number[]): void {
  offered = avail;
  shown = avail.filter((q) => pick.includes(q));
  const next = newStatsTable();
  statsBox.replaceChild(next.element, stats.element);
  stats = next;
  stats.render(view?.stats ?? []);
}

function fillPercentilePicker(avail: number[]): void {
  const list = el("div", { class: "pct-list" });
  for (const q of avail) {
    const cb = el("input", { type: "checkbox", class: "pct-choice", value: String(q), "data-q": String(q) });
    cb.checked = shown.includes(q);
    cb.addEventListener("change", () => {
      const pick = Array.from(list.querySelectorAll<HTMLInputElement>("input:checked")).map((c) => Number(c.value));
      try {
        localStorage.setItem(pctKey, JSON.stringify(pick));
      } catch {
        /* storage off: the choice lasts until a reload */
      }
      setPercentiles(avail, pick);
    });
    list.appendChild(el("label", { class: "check" }, cb, " ", quantileColumnLabel(q).replace(" (ms)", "")));
  }
  pctPicker.replaceChildren(el("summary", null, "Percentile columns"), list);
}

function mount(): void {
  $("tab-stats").append(schedule.element, pctPicker, statsBox);
  $("tab-thresholds").appendChild(verdict.element);
  $("tab-charts").append(charts.element, rowCharts.element);
  $("tab-failures").appendChild(failures.element);
  $("tab-exceptions").appendChild(exceptions.element);
  $("tab-workers").appendChild(workers.element);
  $("tab-ratios").appendChild(ratiosList(null));
  $("tab-audit").appendChild(auditPanel.element);
  $("tab-history").appendChild(historyPanel.element);
  $("tab-logs").appendChild(logsPanel.element);
  stats.render([]);
  failures.render([]);
  exceptions.render([]);
  workers.render([]);
}

// ---- Tabs

function showTab(name: string): void {
  const btn = document.querySelector<HTMLButtonElement>(`.tabs [data-tab="${name}"]`);
  if (!btn || btn.hidden) {
    if (btn) pendingTab = name;
    name = "stats";
  }
  currentTab = name;
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>(".tabs [data-tab]"))) {
    b.setAttribute("aria-selected", String(b.dataset.tab === name));
  }
  for (const s of Array.from(document.querySelectorAll<HTMLElement>("main > .tab"))) {
    s.hidden = s.id !== "tab-" + name;
  }
  if (name === "charts") {
    charts.draw();
    void rowCharts.load();
  }
  if (name === "ratios") void loadRatios();
  if (name === "audit") void auditPanel.load();
  if (name === "history") {
    if (historyPanel.listShown()) void historyPanel.load();
    else historyPanel.redraw();
  }
  if (name === "logs") void logsPanel.load();
  if (location.hash !== "#" + name) history.replaceState(null, "", "#" + name);
}

async function loadRatios(): Promise<void> {
  try {
    const r = await fetch("tasks", { cache: "no-store" });
    if (!r.ok) return;
    const data = (await r.json()) as Ratios;
    const box = $("tab-ratios");
    box.replaceChildren(ratiosList(data));
  } catch {
    /* the live feed shows the connection state */
  }
}

// ---- Live feed

let ws: WebSocket | null = null;
let retry = 0;

function banner(text: string | null, kind = "warn"): void {
  const b = $("banner");
  b.hidden = text === null;
  b.className = "banner " + kind;
  b.textContent = text ?? "";
}

function connect(): void {
  // Relative to the page, so that it follows the base path.
  const url = new URL("ws", location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const sock = new WebSocket(url.href);
  ws = sock;
  sock.onmessage = (ev) => {
    retry = 0;
    banner(null);
    handle(JSON.parse(String(ev.data)) as LiveMessage);
  };
  sock.onclose = () => {
    if (ws !== sock) return;
    ws = null;
    setState("disconnected");
    banner("Connection to the server lost. Reconnecting…");
    const delay = Math.min(5000, 500 * 2 ** retry++);
    setTimeout(reconnect, delay);
  };
}

async function reconnect(): Promise<void> {
  try {
    const r = await fetch("stats/requests", { cache: "no-store" });
    if (r.status === 401) {
      location.href = loginURL();
      return;
    }
  } catch {
    setTimeout(reconnect, Math.min(5000, 500 * 2 ** retry++));
    return;
  }
  connect();
}

function handle(m: LiveMessage): void {
  if (m.type === "hello" && m.info) {
    info = m.info;
    setText("version", `golocust ${info.version} · ${info.program} · ${info.mode} mode`);
    $("logout").hidden = !m.auth;
    if (m.auth && session()) setText("whoami", `${session()!.user} (${session()!.role})`);
    fillClassPicker(info);
    const avail = info.percentiles && info.percentiles.length ? info.percentiles : [0.95, 0.99];
    setPercentiles(avail, loadShown(avail));
    fillPercentilePicker(avail);
    charts.setQuantiles(info.chart_percentiles);
    rowCharts.setQuantiles(info.chart_percentiles);
    if (currentTab === "charts") charts.draw();
    return;
  }
  if (m.type !== "update" || !m.view) return;
  view = m.view;
  if (lastState && lastState !== view.state && (view.state === "stopped" || view.state === "running")) {
    // The run store has the new or ended run at the next stats tick.
    if (currentTab === "history" && historyPanel.listShown()) setTimeout(() => void historyPanel.load(), 1500);
  }
  lastState = view.state;
  updateHeader(view);
  stats.render(view.stats);
  schedule.render(view.schedule);
  updateVerdict(view);
  failures.render(view.errors);
  exceptions.render(m.exceptions ?? []);
  setText("n-failures", view.errors.length ? String(view.errors.length) : "");
  setText("n-exceptions", m.exceptions && m.exceptions.length ? String(m.exceptions.length) : "");
  const isMaster = info?.mode === "master" || (view.workers?.length ?? 0) > 0;
  $("tab-btn-workers").hidden = !isMaster;
  $("h-workers-box").hidden = !isMaster;
  workers.render(view.workers ?? []);
  if (pendingTab && !document.querySelector<HTMLButtonElement>(`.tabs [data-tab="${pendingTab}"]`)!.hidden) {
    const t = pendingTab;
    pendingTab = null;
    if (currentTab === "stats") showTab(t);
  }
  if (m.history) {
    charts.set(m.history.points, m.history.reset);
    if (currentTab === "charts") charts.draw();
  }
  if (currentTab === "charts" && Math.floor(view.time) % 5 === 0) void rowCharts.load();
  if (currentTab === "logs" && Math.floor(view.time) % 5 === 0) void logsPanel.load();
  if (currentTab === "ratios" && view.state !== "ready" && Math.floor(view.time) % 5 === 0) void loadRatios();
  if (!autoOpened && view.state === "ready" && can("control")) {
    autoOpened = true;
    openForm(false);
  }
}

function setState(state: string): void {
  const s = $("h-state");
  s.textContent = state;
  s.className = "state " + state;
}

function updateHeader(v: View): void {
  setText("h-host", v.host || "—");
  setState(v.state);
  setText("h-users", f.int(v.user_count));
  setText("h-workers", String(v.worker_count));
  setText("h-rps", f.rate(v.current_rps));
  setText("h-fail", f.pct(v.fail_ratio));
  const running = v.state === "spawning" || v.state === "running";
  const control = can("control");
  $("btn-new").hidden = !control || running || v.state === "stopping";
  $("btn-edit").hidden = !control || !running;
  $("btn-stop").hidden = !control || !running;
  $("btn-reset").hidden = !control;
  document.title = `golocust · ${v.state}${v.host ? " · " + v.host : ""}`;
}

// updateVerdict shows the thresholds' verdict in the header and its tab,
// and the dropped iterations in the header. Before a test has run the
// verdict is not judged.
function updateVerdict(v: View): void {
  const s = v.schedule;
  $("h-dropped-box").hidden = !s || (s.scheduled === 0 && s.dropped === 0);
  if (s) {
    setText("h-dropped", f.int(s.dropped));
    $("h-dropped").className = s.dropped > 0 ? "bad" : "";
  }
  const t = v.thresholds;
  $("h-verdict-box").hidden = !t;
  $("tab-btn-thresholds").hidden = !t;
  if (!t) {
    setText("n-thresholds", "");
    return;
  }
  const [pass, all] = verdictCounts(t);
  const ran = v.state !== "ready";
  const flag = $("h-verdict");
  setText("h-verdict", ran ? `${pass}/${all} passing${t.aborted ? ", aborted" : ""}` : `${all} set`);
  flag.className = "verdict-flag " + (!ran ? "" : t.pass ? "pass" : "fail");
  flag.title = ran ? (t.pass ? "Every threshold holds" : "Thresholds fail: open the Thresholds tab") : "No test has run yet";
  setText("n-thresholds", ran && all - pass > 0 ? String(all - pass) : "");
  verdict.render(t, v.state === "spawning" || v.state === "running");
}

// ---- Start / edit form

const dialog = () => $("start-dialog") as HTMLDialogElement;
const input = (id: string) => $(id) as HTMLInputElement;
let editing = false;

function fillClassPicker(i: Info): void {
  const box = $("f-class-list");
  box.replaceChildren();
  for (const c of i.classes) {
    const cb = el("input", { type: "checkbox", name: "user_classes", value: c });
    cb.checked = true;
    box.appendChild(el("label", { class: "check" }, cb, " ", c));
  }
  $("f-classes").hidden = !i.class_picker || i.classes.length < 2;
}

function openForm(edit: boolean): void {
  editing = edit;
  clearErrors();
  setText("start-title", edit ? "Edit the running test" : "Start a new load test");
  setText("start-submit", edit ? "Update" : "Start");
  for (const e of Array.from(dialog().querySelectorAll<HTMLElement>(".new-only"))) e.hidden = edit;
  const users = view && view.state !== "ready" ? view.user_count : (info?.users ?? 1);
  if (edit || !input("f-users").value) input("f-users").value = String(users || info?.users || 1);
  if (!input("f-rate").value) input("f-rate").value = String(info?.spawn_rate ?? 1);
  if (!input("f-host").value) input("f-host").value = view?.host || info?.host || "";
  if (!dialog().open) dialog().showModal();
  input("f-users").focus();
  input("f-users").select();
}

function clearErrors(): void {
  $("form-error").hidden = true;
  for (const e of Array.from(dialog().querySelectorAll(".field.invalid"))) e.classList.remove("invalid");
}

async function submitForm(ev: Event): Promise<void> {
  ev.preventDefault();
  clearErrors();
  const body = new URLSearchParams();
  body.set("user_count", input("f-users").value.trim());
  body.set("spawn_rate", input("f-rate").value.trim());
  if (!editing) {
    body.set("host", input("f-host").value.trim());
    body.set("run_time", input("f-runtime").value.trim());
    if (info?.class_picker) {
      for (const cb of Array.from(dialog().querySelectorAll<HTMLInputElement>('input[name="user_classes"]:checked'))) {
        body.append("user_classes", cb.value);
      }
    }
  }
  const btn = $("start-submit") as HTMLButtonElement;
  btn.disabled = true;
  try {
    const r = await post("swarm", body);
    const data = (await r.json().catch(() => ({}))) as { success?: boolean; message?: string; field?: string };
    if (!r.ok || data.success === false) {
      const msg = $("form-error");
      msg.textContent = data.message || `The server answered ${r.status}.`;
      msg.hidden = false;
      if (data.field) dialog().querySelector(`.field[data-for="${CSS.escape(data.field)}"]`)?.classList.add("invalid");
      if (data.field === "run_time" || data.field === "user_classes") ($("advanced") as HTMLDetailsElement).open = true;
      return;
    }
    dialog().close();
    if (!editing) showTab(currentTab === "download" ? "stats" : currentTab);
  } catch {
    const msg = $("form-error");
    msg.textContent = "Cannot reach the server.";
    msg.hidden = false;
  } finally {
    btn.disabled = false;
  }
}

async function command(url: string): Promise<void> {
  try {
    const r = await post(url);
    if (!r.ok) {
      const data = (await r.json().catch(() => ({}))) as { message?: string };
      banner(data.message || `${url} failed: ${r.status}`, "error");
    }
  } catch {
    banner("Cannot reach the server.", "error");
  }
}

async function logout(ev: Event): Promise<void> {
  ev.preventDefault();
  try {
    await post("logout");
  } finally {
    location.href = "login";
  }
}

async function init(): Promise<void> {
  mount();
  try {
    if (!(await loadSession())) return;
  } catch {
    banner("Cannot reach the server.", "error");
  }
  $("tab-btn-audit").hidden = !can("audit");
  $("tab-btn-history").hidden = !historyEnabled();
  // The list also follows runs of other processes sharing the store.
  setInterval(() => {
    if (currentTab === "history" && historyPanel.listShown() && !document.hidden) void historyPanel.load();
  }, 10000);
  $("logout").addEventListener("submit", (e) => void logout(e));
  for (const b of Array.from(document.querySelectorAll<HTMLButtonElement>(".tabs [data-tab]"))) {
    b.addEventListener("click", () => showTab(b.dataset.tab!));
  }
  $("h-verdict").addEventListener("click", (e) => {
    e.preventDefault();
    showTab("thresholds");
  });
  $("btn-new").addEventListener("click", () => openForm(false));
  $("btn-edit").addEventListener("click", () => openForm(true));
  $("btn-stop").addEventListener("click", () => void command("stop"));
  $("btn-reset").addEventListener("click", () => void command("stats/reset"));
  $("start-cancel").addEventListener("click", () => dialog().close());
  $("start-form").addEventListener("submit", (e) => void submitForm(e));
  window.addEventListener("resize", () => {
    if (currentTab === "charts") {
      charts.draw();
      rowCharts.draw();
    }
    if (currentTab === "history") historyPanel.redraw();
  });
  showTab(location.hash.slice(1) || "stats");
  connect();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => void init());
else void init();

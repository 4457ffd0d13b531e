// The audit log tab (admins): the latest entries of GET /audit, newest
// first. Every field is shown as text: user names and hosts come from
// whoever typed them, attackers included.
import { el } from "./dom";
import { Table } from "./tables";
import * as f from "./format";

export interface AuditEntry {
  time: string;
  actor: string;
  role?: string;
  source?: string;
  action: string;
  params?: Record<string, unknown>;
  outcome: string;
  reason?: string;
}

function params(p: Record<string, unknown> | undefined): string {
  if (!p) return "";
  return Object.keys(p)
    .sort()
    .map((k) => `${k}=${typeof p[k] === "string" ? (p[k] as string) : JSON.stringify(p[k])}`)
    .join(" ");
}

export class AuditPanel {
  readonly element: HTMLElement;
  private note: HTMLElement;
  private table = new Table<AuditEntry>(
    [
      { key: "time", label: "Time", value: (e) => f.dateTime(Date.parse(e.time) / 1000) },
      { key: "actor", label: "Actor", value: (e) => e.actor },
      { key: "role", label: "Role", value: (e) => e.role ?? "" },
      { key: "source", label: "Source", value: (e) => e.source ?? "" },
      { key: "action", label: "Action", value: (e) => e.action },
      { key: "params", label: "Parameters", value: (e) => params(e.params) },
      { key: "outcome", label: "Outcome", value: (e) => e.outcome + (e.reason ? `: ${e.reason}` : "") },
    ],
    { empty: "No entries yet.", id: "audit-table" },
  );

  constructor() {
    this.note = el("p", { class: "note" });
    this.element = el("div", null, this.note, this.table.element);
  }

  async load(): Promise<void> {
    try {
      const r = await fetch("audit", { cache: "no-store" });
      if (!r.ok) {
        this.note.textContent = `The audit log is not available (${r.status}).`;
        return;
      }
      const data = (await r.json()) as { entries: AuditEntry[]; file?: string };
      this.note.textContent =
        "Latest entries of this process, newest first." + (data.file ? ` The whole log is in ${data.file}.` : "");
      this.table.render(data.entries.slice().reverse());
    } catch {
      this.note.textContent = "Cannot reach the server.";
    }
  }
}

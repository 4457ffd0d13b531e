// The Logs tab: the latest lines of the program's log (GET /logs), as
// Locust's web UI shows them. Lines are shown as text.
import { el } from "./dom";

interface LogsResponse {
  master: string[];
  workers: Record<string, string[]>;
}

export class LogsPanel {
  readonly element: HTMLElement;
  private note: HTMLElement;
  private list: HTMLElement;

  constructor() {
    this.note = el("p", { class: "note" });
    this.list = el("pre", { class: "log-lines", id: "log-lines" });
    this.element = el("div", null, this.note, this.list);
  }

  async load(): Promise<void> {
    try {
      const r = await fetch("logs", { cache: "no-store" });
      if (!r.ok) {
        this.note.textContent = `The log is not available (${r.status}).`;
        return;
      }
      const data = (await r.json()) as LogsResponse;
      const workers = Object.keys(data.workers).length;
      this.note.textContent = workers
        ? "The latest lines of this process's log, oldest first, then those the workers forwarded, each after its worker's id."
        : "The latest lines of this process's log, oldest first.";
      const lines: string[] = [...data.master];
      for (const id of Object.keys(data.workers).sort()) {
        for (const line of data.workers[id]) lines.push(`${id}: ${line}`);
      }
      const atEnd = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 4;
      this.list.textContent = lines.length ? lines.join("\n") : "No log lines yet.";
      if (atEnd) this.list.scrollTop = this.list.scrollHeight;
    } catch {
      this.note.textContent = "Cannot reach the server.";
    }
  }
}

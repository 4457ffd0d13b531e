// Number formats of the tables and charts.

export function ms(x: number): string {
  if (!isFinite(x)) return "—";
  if (x >= 100) return Math.round(x).toLocaleString("en-US");
  if (x >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function rate(x: number): string {
  if (!isFinite(x)) return "—";
  return x >= 1000 ? Math.round(x).toLocaleString("en-US") : x.toFixed(1);
}

export function int(x: number): string {
  return Math.round(x).toLocaleString("en-US");
}

export function pct(x: number): string {
  return (x * 100).toFixed(x > 0 && x < 0.001 ? 2 : x < 0.1 ? 1 : 0) + "%";
}

export function bytes(x: number): string {
  if (x < 1024) return Math.round(x) + " B";
  if (x < 1024 * 1024) return (x / 1024).toFixed(1) + " KiB";
  if (x < 1024 ** 3) return (x / 1024 / 1024).toFixed(1) + " MiB";
  return (x / 1024 ** 3).toFixed(2) + " GiB";
}

export function dateTime(unix: number): string {
  if (!unix) return "—";
  const d = new Date(unix * 1000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function duration(secs: number): string {
  secs = Math.max(0, Math.round(secs));
  const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
  const parts: string[] = [];
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s || parts.length === 0) parts.push(`${s} s`);
  return parts.join(" ");
}

export function quantileLabel(q: number): string {
  return q === 1 ? "100%" : `${+(q * 100).toFixed(2)}%`;
}

// Types of the JSON the Go package webui serves (see controller.go).

export interface Info {
  program: string;
  version: string;
  mode: string;
  host: string;
  users: number;
  spawn_rate: number;
  classes: string[];
  class_picker: boolean;
  shape: boolean;
  percentiles?: number[];
  chart_percentiles?: number[];
}

export interface Entry {
  method: string;
  name: string;
  num_requests: number;
  num_failures: number;
  num_aborted: number;
  avg_response_time: number;
  min_response_time: number;
  max_response_time: number;
  median_response_time: number;
  "response_time_percentile_0.95": number;
  "response_time_percentile_0.99": number;
  current_rps: number;
  current_fail_per_sec: number;
  total_rps: number;
  total_fail_per_sec: number;
  avg_content_length: number;
  percentiles?: number[];
  quantiles?: number[];
}

export interface ErrorRow {
  method: string;
  name: string;
  error: string;
  occurrences: number;
  first_seen: number;
  last_seen: number;
}

export interface ExceptionRow {
  count: number;
  msg: string;
  traceback: string;
  nodes: string[];
}

export interface Worker {
  id: string;
  state: string;
  user_count: number;
  cpu_usage: number;
  memory_usage: number;
  last_heartbeat: number;
}

export interface View {
  state: string;
  user_count: number;
  host: string;
  stats: Entry[];
  errors: ErrorRow[];
  total_rps: number;
  total_fail_per_sec: number;
  current_rps: number;
  current_fail_per_sec: number;
  fail_ratio: number;
  workers?: Worker[];
  worker_count: number;
  user_classes: Record<string, number>;
  start_time: number;
  time: number;
  schedule?: Schedule;
  thresholds?: Verdict;
}

export interface Timing {
  count: number;
  avg: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p99_9: number;
}

export interface Schedule {
  scheduled: number;
  dropped: number;
  dropped_ratio: number;
  missed: number;
  lag: Timing;
  response_time: Timing;
  service_time: Timing;
}

export interface ThresholdResult {
  threshold: string;
  entry: string;
  metric: string;
  op: string;
  limit: number;
  unit: string;
  observed: number;
  observed_text: string;
  window_s: number;
  abort: boolean;
  pass: boolean;
  note: string;
}

export interface Verdict {
  pass: boolean;
  aborted: boolean;
  abort_reason: string;
  results: ThresholdResult[];
}

export interface HistoryPoint {
  t: number;
  u: number;
  rps: number;
  fps: number;
  p50: number;
  p95: number;
  p99: number;
  avg: number;
  p?: number[];
}

export interface Ratios {
  per_class: Record<string, ClassRatio>;
  total: Record<string, ClassRatio>;
}

export interface ClassRatio {
  ratio: number;
  tasks: Record<string, { ratio: number }>;
}

export interface LiveMessage {
  type: "hello" | "update";
  info?: Info;
  auth?: boolean;
  view?: View;
  exceptions?: ExceptionRow[];
  history?: { reset: boolean; points: HistoryPoint[] };
}

export interface ReportData {
  info: Info;
  view: View;
  exceptions: ExceptionRow[];
  history: HistoryPoint[];
  ratios?: Ratios;
  quantiles: number[];
  generated: number;
  run_time: number;
}

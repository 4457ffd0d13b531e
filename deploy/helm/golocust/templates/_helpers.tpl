{{/* Names and labels. */}}
{{- define "golocust.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "golocust.master" -}}{{ include "golocust.fullname" . }}-master{{- end -}}
{{- define "golocust.worker" -}}{{ include "golocust.fullname" . }}-worker{{- end -}}

{{- define "golocust.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "golocust.labels" -}}
{{ include "golocust.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Checks of the values, run by every template that needs them. */}}
{{- define "golocust.check" -}}
{{- if not (has .Values.mode (list "distributed" "job")) -}}
{{- fail (printf "mode must be distributed or job, got %q" (toString .Values.mode)) -}}
{{- end -}}
{{- if and (eq .Values.mode "job") (not .Values.job.runTime) -}}
{{- fail "job.runTime is required in job mode (e.g. 10m): a one-shot test must end" -}}
{{- end -}}
{{- if lt (int .Values.worker.replicas) 1 -}}
{{- fail (printf "worker.replicas must be 1 or more, got %v" .Values.worker.replicas) -}}
{{- end -}}
{{- if not .Values.clusterToken.secretName -}}
{{- fail "clusterToken.secretName is required: workers authenticate with the cluster token" -}}
{{- end -}}
{{- if and (eq .Values.mode "distributed") (not .Values.webAuth.secretName) -}}
{{- fail "webAuth.secretName is required in distributed mode: the web UI listens beyond loopback" -}}
{{- end -}}
{{- end -}}

{{/* memBytes converts a Kubernetes memory quantity (512Mi, 1G, 1073741824) to bytes. */}}
{{- define "golocust.memBytes" -}}
{{- $q := toString . -}}
{{- $units := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 -}}
{{- $num := regexFind "^[0-9]+" $q -}}
{{- $unit := trimPrefix $num $q -}}
{{- if or (not $num) (not (hasKey $units $unit)) -}}
{{- fail (printf "memory limit %q: use a whole number with an optional unit k, M, G, T, Ki, Mi, Gi or Ti" $q) -}}
{{- end -}}
{{- mul (atoi $num) (get $units $unit) -}}
{{- end -}}

{{/* goEnv: GOMAXPROCS and GOMEMLIMIT derived from a container's resources. */}}
{{- define "golocust.goEnv" -}}
{{- $res := .res -}}
{{- if and $res.limits $res.limits.cpu }}
- name: GOMAXPROCS
  valueFrom:
    resourceFieldRef:
      resource: limits.cpu
      divisor: "1"
{{- end }}
{{- if and $res.limits $res.limits.memory }}
- name: GOMEMLIMIT
  value: {{ div (mul (include "golocust.memBytes" $res.limits.memory | atoi) (int .percent)) 100 | toString | quote }}
{{- end }}
{{- end -}}

{{/* commonEnv: what master and workers share. */}}
{{- define "golocust.commonEnv" -}}
- name: LOCUST_CLUSTER_TOKEN_FILE
  value: /etc/golocust/secrets/cluster-token/{{ .Values.clusterToken.key }}
- name: LOCUST_STOP_TIMEOUT
  value: {{ .Values.stopTimeout | quote }}
{{- if .Values.userClasses }}
- name: LOCUST_USER_CLASSES
  value: {{ join " " .Values.userClasses | quote }}
{{- end }}
{{- if .Values.locustConf }}
- name: LOCUST_CONFIG
  value: /etc/golocust/locust.conf
{{- end }}
{{- range $k, $v := .Values.env }}
- name: {{ $k }}
  value: {{ toString $v | quote }}
{{- end }}
{{- end -}}

{{- define "golocust.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "golocust.securityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* volumes of a pod; .web adds the web UI's credentials. */}}
{{- define "golocust.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .root.Values.tmpSizeLimit }}
- name: cluster-token
  secret:
    secretName: {{ .root.Values.clusterToken.secretName }}
    defaultMode: 0440
{{- if .web }}
- name: web-auth
  secret:
    secretName: {{ .root.Values.webAuth.secretName }}
    defaultMode: 0440
{{- end }}
{{- if .root.Values.locustConf }}
- name: config
  configMap:
    name: {{ include "golocust.fullname" .root }}-config
{{- end }}
{{- end -}}

{{- define "golocust.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: cluster-token
  mountPath: /etc/golocust/secrets/cluster-token
  readOnly: true
{{- if .web }}
- name: web-auth
  mountPath: /etc/golocust/secrets/web-auth
  readOnly: true
{{- end }}
{{- if .root.Values.locustConf }}
- name: config
  mountPath: /etc/golocust/locust.conf
  subPath: locust.conf
  readOnly: true
{{- end }}
{{- end -}}

{{- define "golocust.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

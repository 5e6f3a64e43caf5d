{{/*
Names and labels.
*/}}
{{- define "pylon.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pylon.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
<fullname>-<suffix>, with the fullname shortened so the result stays a valid
63-character DNS label. Call with (dict "root" $ "suffix" "gateway").
*/}}
{{- define "pylon.componentName" -}}
{{- $max := sub 62 (len .suffix) | int -}}
{{- printf "%s-%s" (include "pylon.fullname" .root | trunc $max | trimSuffix "-") .suffix -}}
{{- end -}}

{{- define "pylon.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "pylon.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pylon.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pylon.labels" -}}
helm.sh/chart: {{ include "pylon.chart" . }}
{{ include "pylon.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pylon
{{- end -}}

{{/* Labels of one service's resources. Call with (dict "root" $ "name" "gateway"). */}}
{{- define "pylon.serviceLabels" -}}
{{ include "pylon.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "pylon.serviceSelectorLabels" -}}
{{ include "pylon.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{- define "pylon.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "pylon.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "pylon.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "pylon.configMapName" -}}
{{- include "pylon.componentName" (dict "root" . "suffix" "config") -}}
{{- end -}}

{{/* The Secret holding PYLON_DATABASE__URL / PYLON_CLICKHOUSE__PASSWORD. */}}
{{- define "pylon.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else -}}
{{- include "pylon.componentName" (dict "root" . "suffix" "secrets") -}}
{{- end -}}
{{- end -}}

{{/*
pylon.toml. The listen addresses come from .Values.ports so the container ports,
Services, probes and the binary can never disagree; nats.credentials_file points at
the mounted NATS credentials Secret.
*/}}
{{- define "pylon.config" -}}
{{- $cfg := deepCopy .Values.config -}}
{{- if hasKey (default dict $cfg.database) "url" -}}
{{- fail "config.database.url is a secret: set secrets.databaseUrl or secrets.existingSecret instead" -}}
{{- end -}}
{{- if hasKey (default dict $cfg.clickhouse) "password" -}}
{{- fail "config.clickhouse.password is a secret: set secrets.clickhousePassword or secrets.existingSecret instead" -}}
{{- end -}}
{{- $addr := .Values.listenAddress -}}
{{- $listen := dict
      "http" (dict "listen" (printf "%s:%d" $addr (int .Values.ports.http)))
      "grpc" (dict "listen" (printf "%s:%d" $addr (int .Values.ports.grpc)))
      "gateway" (dict "device_listen" (printf "%s:%d" $addr (int .Values.ports.device))) -}}
{{- if .Values.secrets.natsCredentialsSecret -}}
{{- $_ := set $listen "nats" (dict "credentials_file" (printf "/etc/pylon-nats/%s" .Values.secrets.natsCredentialsKey)) -}}
{{- end -}}
{{- $cfg = mustMergeOverwrite $cfg $listen -}}
{{- /* Services find identity's JWKS at its Service unless told otherwise. */ -}}
{{- $auth := default dict (get $cfg "auth") -}}
{{- if and (not (get $auth "jwks_url")) (dig "identity" "enabled" false .Values.services) -}}
{{- $_ := set $auth "jwks_url" (printf "http://%s:%d/.well-known/jwks.json" (include "pylon.componentName" (dict "root" . "suffix" "identity")) (int .Values.ports.http)) -}}
{{- $_ := set $cfg "auth" $auth -}}
{{- end -}}
# Rendered by the pylon Helm chart from .Values.config; do not edit in the cluster.
# Secrets (database.url, clickhouse.password) come from env, never from this file.
{{- include "pylon.toml.table" (dict "path" "" "table" $cfg) }}
{{- end -}}

{{/*
A minimal TOML writer. Helm's toToml writes every number from values.yaml as a float
(8080 -> 8080.0), which a Rust u16/u64 field rejects, so integers are rendered here.
Call with (dict "path" "a.b" "table" $map). Keys are sorted; null values are skipped.
*/}}
{{- define "pylon.toml.table" -}}
{{- $path := .path -}}
{{- $table := .table -}}
{{- $scalars := list -}}
{{- $tables := list -}}
{{- range $k := keys $table | sortAlpha -}}
{{- $v := get $table $k -}}
{{- if kindIs "map" $v -}}
{{- $tables = append $tables $k -}}
{{- else if not (kindIs "invalid" $v) -}}
{{- $scalars = append $scalars $k -}}
{{- end -}}
{{- end -}}
{{- if and $path (or $scalars (not $tables)) }}

[{{ $path }}]
{{- end -}}
{{- range $k := $scalars }}
{{ include "pylon.toml.key" $k }} = {{ include "pylon.toml.value" (get $table $k) }}
{{- end -}}
{{- range $k := $tables -}}
{{- $sub := ternary (printf "%s.%s" $path (include "pylon.toml.key" $k)) (include "pylon.toml.key" $k) (ne $path "") -}}
{{- include "pylon.toml.table" (dict "path" $sub "table" (get $table $k)) -}}
{{- end -}}
{{- end -}}

{{- define "pylon.toml.key" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . -}}{{ . }}{{- else -}}{{ toJson . }}{{- end -}}
{{- end -}}

{{- define "pylon.toml.value" -}}
{{- $v := . -}}
{{- if kindIs "string" $v -}}
{{- toJson $v -}}
{{- else if kindIs "bool" $v -}}
{{- ternary "true" "false" $v -}}
{{- else if or (kindIs "int" $v) (kindIs "int64" $v) (kindIs "int32" $v) (kindIs "uint64" $v) -}}
{{- printf "%d" $v -}}
{{- else if kindIs "float64" $v -}}
{{- if eq $v (float64 (int64 $v)) -}}{{ printf "%d" (int64 $v) }}{{- else -}}{{ $v }}{{- end -}}
{{- else if kindIs "slice" $v -}}
[{{ range $i, $e := $v }}{{ if $i }}, {{ end }}{{ include "pylon.toml.value" $e }}{{ end }}]
{{- else -}}
{{- fail (printf "config: cannot render a %s value as TOML" (kindOf $v)) -}}
{{- end -}}
{{- end -}}

{{/*
Env shared by every pylon container. Call with (dict "root" $ "name" "gateway"
"secretName" "<Secret>" "secretEnv" (dict "databaseUrl" true "clickhousePassword" false)).
*/}}
{{- define "pylon.env" -}}
{{- $root := .root -}}
- name: PYLON_CONFIG
  value: /etc/pylon/pylon.toml
{{- if not (get (default dict $root.Values.config.telemetry) "service_name") }}
- name: PYLON_TELEMETRY__SERVICE_NAME
  value: {{ printf "pylon-%s" .name | quote }}
{{- end }}
{{- if .secretEnv.databaseUrl }}
- name: PYLON_DATABASE__URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $root.Values.secrets.databaseUrlKey }}
{{- end }}
{{- if and .secretEnv.clickhousePassword $root.Values.secrets.clickhousePasswordKey }}
- name: PYLON_CLICKHOUSE__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $root.Values.secrets.clickhousePasswordKey }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "pylon.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "pylon.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop:
    - ALL
{{- end -}}

{{/* Fails the render on values the schema cannot express. */}}
{{- define "pylon.validate" -}}
{{- $grace := dig "shutdown" "grace_secs" 10 .Values.config | int -}}
{{- if ge $grace (int .Values.terminationGracePeriodSeconds) -}}
{{- fail (printf "config.shutdown.grace_secs (%d) must be below terminationGracePeriodSeconds (%d)" $grace (int .Values.terminationGracePeriodSeconds)) -}}
{{- end -}}
{{- $ports := list (int .Values.ports.http) (int .Values.ports.grpc) (int .Values.ports.device) -}}
{{- if ne (len (uniq $ports)) 3 -}}
{{- fail "ports.http, ports.grpc and ports.device must differ" -}}
{{- end -}}
{{- if and (not .Values.secrets.existingSecret) (not .Values.secrets.databaseUrl) -}}
{{- fail "set secrets.databaseUrl or secrets.existingSecret" -}}
{{- end -}}
{{- end -}}

{{/* data: of the chart-managed Secret (shared with the migration hook's copy). */}}
{{- define "pylon.secretData" -}}
{{ .Values.secrets.databaseUrlKey }}: {{ .Values.secrets.databaseUrl | b64enc | quote }}
{{- if .Values.secrets.clickhousePasswordKey }}
{{ .Values.secrets.clickhousePasswordKey }}: {{ .Values.secrets.clickhousePassword | b64enc | quote }}
{{- end }}
{{- end -}}

{{/* Volume mounts of every pylon container. */}}
{{- define "pylon.volumeMounts" -}}
- name: config
  mountPath: /etc/pylon
  readOnly: true
{{- if .Values.secrets.natsCredentialsSecret }}
- name: nats-credentials
  mountPath: /etc/pylon-nats
  readOnly: true
{{- end }}
# The root filesystem is read-only; /tmp is the only scratch space.
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/* Volumes of every pylon pod. Call with (dict "root" $ "configMap" "<name>"). */}}
{{- define "pylon.volumes" -}}
- name: config
  configMap:
    name: {{ .configMap }}
    items:
      - key: pylon.toml
        path: pylon.toml
{{- with .root.Values.secrets.natsCredentialsSecret }}
- name: nats-credentials
  secret:
    secretName: {{ . }}
    defaultMode: 0440
    items:
      - key: {{ $.root.Values.secrets.natsCredentialsKey }}
        path: {{ $.root.Values.secrets.natsCredentialsKey }}
{{- end }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end -}}

{{/*
Chart name (for labels), truncated to the 63 characters a label value may hold.
*/}}
{{- define "zsf.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the objects: the release name when it already contains the chart name.
*/}}
{{- define "zsf.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "zsf.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "zsf.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zsf.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "zsf.labels" -}}
helm.sh/chart: {{ include "zsf.chart" . }}
{{ include "zsf.selectorLabels" . }}
app.kubernetes.io/version: {{ (.Values.image.tag | default .Chart.AppVersion) | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: zendesk-siem-forwarder
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "zsf.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zsf.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "zsf.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{- define "zsf.configMapName" -}}
{{- .Values.existingConfigMap | default (include "zsf.fullname" .) }}
{{- end }}

{{/*
Name of the Secret mounted at secrets.mountPath, or "" when there is none.
*/}}
{{- define "zsf.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else if .Values.secrets.data }}
{{- include "zsf.fullname" . }}
{{- end }}
{{- end }}

{{/*
The zsf config file: .Values.config with dataDir and api set by the chart, because the
data volume and the metrics port are the chart's business.
*/}}
{{- define "zsf.config" -}}
{{- $config := deepCopy (.Values.config | default dict) }}
{{- if hasKey $config "dataDir" }}
{{- fail "config.dataDir is set by the chart (the data volume at persistence.mountPath): remove it from config" }}
{{- end }}
{{- if hasKey $config "api" }}
{{- fail "config.api is set by the chart (listen on 0.0.0.0:<service.port>): remove it from config" }}
{{- end }}
{{- $_ := set $config "dataDir" .Values.persistence.mountPath }}
{{- $_ := set $config "api" (dict "enabled" true "listen" (printf "0.0.0.0:%d" (int .Values.service.port))) }}
{{- toYaml $config }}
{{- end }}

{{/*
PromQL label matchers that select this release's series.
*/}}
{{- define "zsf.promSelector" -}}
{{- .Values.prometheusRule.selector | default (printf "namespace=%q, service=%q" .Release.Namespace (include "zsf.fullname" .)) }}
{{- end }}

{{/*
Values an install cannot start without, checked at render time so `helm install`/`upgrade`
fails with what to set instead of creating a pod that crash-loops on its config:
  - at least one Zendesk account, each with `subdomain` or `baseUrl`;
  - every `${VAR}` (without `:-default`) in config has a non-empty `env` entry (or `valueFrom`),
    unless `envFrom` may bring it; zsf treats an empty variable as unset;
  - every `${file:<secrets.mountPath>/<key>}` has a non-empty `secrets.data.<key>`, unless
    `secrets.existingSecret` provides the keys (the chart cannot see inside it).
A config from `existingConfigMap` is not visible to the chart and is not checked.
*/}}
{{- define "zsf.validate" -}}
{{- if not .Values.existingConfigMap }}
{{- $problems := list }}
{{- $config := .Values.config | default dict }}
{{- $accounts := dig "zendesk" "accounts" list $config }}
{{- if not $accounts }}
{{- $problems = append $problems "config.zendesk.accounts is empty: give at least one account (name, subdomain or baseUrl, auth)" }}
{{- end }}
{{- range $i, $a := $accounts }}
{{- if not (or $a.subdomain $a.baseUrl) }}
{{- $problems = append $problems (printf "config.zendesk.accounts[%d] (%s) has neither subdomain nor baseUrl: set one" $i ($a.name | default "unnamed")) }}
{{- end }}
{{- end }}
{{- $envSet := dict }}
{{- range .Values.env }}
{{- if or .value .valueFrom }}{{ $_ := set $envSet .name true }}{{ end }}
{{- end }}
{{- $mount := trimSuffix "/" .Values.secrets.mountPath }}
{{- $seen := dict }}
{{- /* `$${` is zsf's escape for a literal `${`: drop it before looking for references. */}}
{{- $text := toJson $config | replace "$${" "" }}
{{- range $ref := regexFindAll "\\$\\{[^}]*\\}" $text -1 }}
{{- $expr := $ref | trimPrefix "${" | trimSuffix "}" }}
{{- if not (hasKey $seen $expr) }}
{{- $_ := set $seen $expr true }}
{{- if hasPrefix "file:" $expr }}
{{- $path := $expr | trimPrefix "file:" | trim }}
{{- if and (hasPrefix (printf "%s/" $mount) $path) (not $.Values.secrets.existingSecret) }}
{{- $key := trimPrefix (printf "%s/" $mount) $path }}
{{- if not (index ($.Values.secrets.data | default dict) $key) }}
{{- $problems = append $problems (printf "config reads ${%s}, but secrets.data.%s is empty: give it at install (--set-file secrets.data.%s=./file), or set secrets.existingSecret to a Secret with the key %s" $expr $key $key $key) }}
{{- end }}
{{- end }}
{{- else if and (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" $expr) (not $.Values.envFrom) (not (hasKey $envSet $expr)) }}
{{- $problems = append $problems (printf "config uses ${%s}, but env gives %s no value: add {name: %s, value: ...} to env in your values file (or valueFrom, envFrom, or a default in config: ${%s:-value})" $expr $expr $expr $expr) }}
{{- end }}
{{- end }}
{{- end }}
{{- if $problems }}
{{- fail (printf "with these values the pod could not start:\n  - %s" (join "\n  - " (sortAlpha $problems))) }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A Kubernetes memory quantity (512Mi, 1Gi, 1G, 536870912) in bytes, as a float. Fails on what it
cannot read, naming heapLimitMb, the way round it.
*/}}
{{- define "zsf.quantityBytes" -}}
{{- if or (kindIs "float64" .) (kindIs "int" .) (kindIs "int64" .) }}
{{- float64 . }}
{{- else }}
{{- $q := toString . | trim }}
{{- $number := regexFind "^[0-9]+(\\.[0-9]+)?" $q }}
{{- $suffix := trimPrefix $number $q }}
{{- $units := dict "" 1 "k" 1000 "M" 1000000 "G" 1000000000 "T" 1000000000000 "Ki" 1024 "Mi" 1048576 "Gi" 1073741824 "Ti" 1099511627776 }}
{{- if or (not $number) (not (hasKey $units $suffix)) }}
{{- fail (printf "resources.limits.memory %q: cannot read it as a memory quantity (e.g. 512Mi, 1Gi) to size the V8 heap; set heapLimitMb" $q) }}
{{- end }}
{{- mulf (float64 $number) (get $units $suffix) }}
{{- end }}
{{- end }}

{{/*
The V8 heap limit in MiB for NODE_OPTIONS=--max-old-space-size, or "" for none: heapLimitMb when
set, else 75 % of resources.limits.memory (the rest is for code, buffers outside the heap and
the runtime), else none. None either when env already sets NODE_OPTIONS: the user's wins.
*/}}
{{- define "zsf.heapLimitMb" -}}
{{- $userSet := false }}
{{- range .Values.env }}{{ if eq .name "NODE_OPTIONS" }}{{ $userSet = true }}{{ end }}{{ end }}
{{- if not $userSet }}
{{- if .Values.heapLimitMb }}
{{- .Values.heapLimitMb | int }}
{{- else }}
{{- $memory := dig "limits" "memory" "" (.Values.resources | default dict) }}
{{- if $memory }}
{{- $bytes := include "zsf.quantityBytes" $memory | float64 }}
{{- floor (divf (mulf $bytes 0.75) 1048576) | int }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

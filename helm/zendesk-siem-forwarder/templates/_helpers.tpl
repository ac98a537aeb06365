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

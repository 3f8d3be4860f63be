{{/* Full name of the release's objects. */}}
{{- define "airlift.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "airlift.serviceAccountName" -}}
{{- default (include "airlift.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "airlift.selectorLabels" -}}
app.kubernetes.io/name: airlift
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "airlift.labels" -}}
{{ include "airlift.selectorLabels" . }}
app.kubernetes.io/part-of: airlift
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* The default registry: defaults.registry, else harbor.<dnsSuffix>, else empty. */}}
{{- define "airlift.defaultRegistry" -}}
{{- if .Values.defaults.registry -}}
{{- .Values.defaults.registry -}}
{{- else if .Values.dnsSuffix -}}
{{- printf "harbor.%s" .Values.dnsSuffix -}}
{{- end -}}
{{- end -}}

{{/* The default S3 endpoint: defaults.s3Endpoint, else objectstorage.<dnsSuffix>, else empty. */}}
{{- define "airlift.defaultS3Endpoint" -}}
{{- if .Values.defaults.s3Endpoint -}}
{{- .Values.defaults.s3Endpoint -}}
{{- else if .Values.dnsSuffix -}}
{{- printf "objectstorage.%s" .Values.dnsSuffix -}}
{{- end -}}
{{- end -}}

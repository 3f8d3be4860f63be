{{/* Name of the chart, or nameOverride. */}}
{{- define "airlift.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name of the release's objects: fullnameOverride, else <release>-<name> (just <release> when it holds the name). */}}
{{- define "airlift.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "airlift.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "airlift.serviceAccountName" -}}
{{- default (include "airlift.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "airlift.selectorLabels" -}}
app.kubernetes.io/name: {{ include "airlift.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end -}}

{{- define "airlift.labels" -}}
{{ include "airlift.selectorLabels" . }}
app.kubernetes.io/part-of: airlift
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The operator image: repository@digest when image.digest is set, else repository:tag (tag defaults to appVersion). */}}
{{- define "airlift.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}
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

{{/* The operator-wide CA bundle as --ca-bundle takes it (configmap:NS/NAME#KEY or secret:...; "" without one). */}}
{{- define "airlift.caBundle" -}}
{{- with .Values.caBundle -}}
{{- if .configMap.name -}}
{{- printf "configmap:%s/%s#%s" $.Release.Namespace .configMap.name .configMap.key -}}
{{- else if .secret.name -}}
{{- printf "secret:%s/%s#%s" $.Release.Namespace .secret.name .secret.key -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Settings no schema can express, checked before anything renders. Each message says what to change.
*/}}
{{- define "airlift.validate" -}}
{{- if and (gt (int .Values.replicas) 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "replicas=%d with leaderElection.enabled=false: every replica would reconcile the same objects at once. Set leaderElection.enabled=true, or replicas=1." (int .Values.replicas)) -}}
{{- end -}}
{{- if and .Values.caBundle.configMap.name .Values.caBundle.secret.name -}}
{{- fail "caBundle: set caBundle.configMap.name or caBundle.secret.name, not both" -}}
{{- end -}}
{{- if and (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) -}}
{{- fail "serviceAccount.create=false needs serviceAccount.name: the existing ServiceAccount the operator runs as" -}}
{{- end -}}
{{- end -}}

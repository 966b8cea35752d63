#!/usr/bin/env bash
# A whole demo through `fake-ecr serve --data-dir` and the control subcommands, across a restart
# (docs/server.md#persistence).  Driven by test_serve_data_dir.py:
#
#   data_dir_demo.sh WORK_DIR PORT OCI_LAYOUT
#
# OCI_LAYOUT holds two images tagged v1 and v2.  Every step that fails ends the script (set -e); the last
# line it prints is "demo state intact after restart".
set -euo pipefail

work=$1 port=$2 layout=$3
data=$work/data
export FAKE_ECR_ENDPOINT=http://127.0.0.1:$port
export AWS_CONFIG_FILE=$work/aws-config AWS_SHARED_CREDENTIALS_FILE=$work/aws-credentials AWS_PAGER=""
server=

serve() {  # serve --data-dir in the background, then take up the exports its banner prints
    fake-ecr serve --data-dir "$data" --port "$port" "$@" >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        grep -q '^  export AWS_ENDPOINT_URL_ECR=' "$work/serve.log" 2>/dev/null && break
        sleep 0.2
    done
    eval "$(grep '^  export ' "$work/serve.log")"
}

stop() {  # SIGTERM, as a service manager stops it: the state is flushed on the way out
    kill -TERM "$server"
    wait "$server"
}
trap '[ -n "$server" ] && kill -TERM "$server" 2>/dev/null || true' EXIT

say() { printf '%s\n' "$*"; }

# --- first run -----------------------------------------------------------------------------------------
serve --scan-delay 3600
aws ecr create-repository --repository-name demo/app \
    --image-scanning-configuration scanOnPush=true --output text --query repository.repositoryUri >"$work/uri"
aws ecr put-lifecycle-policy --repository-name demo/app --lifecycle-policy-text \
    '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}' \
    >/dev/null
uri=$(cat "$work/uri")
host=${uri%%/*}

for tag in v1 v2; do  # logged in through the banner's REGISTRY_AUTH_FILE
    skopeo copy --quiet --dest-tls-verify=false "oci:$layout:$tag" "docker://$uri:$tag"
done
say "pushed v1 and v2 with skopeo"

printf '[{"name": "CVE-2024-0001", "severity": "CRITICAL", "package_name": "openssl", "package_version": "3.0.11-1"}]' \
    >"$work/findings.json"
fake-ecr findings set demo/app:v2 "$work/findings.json"
fake-ecr scans complete
fake-ecr clock advance 2d
fake-ecr lifecycle run
aws ecr describe-images --repository-name demo/app --output json >"$work/images-before.json"
aws ecr describe-image-scan-findings --repository-name demo/app --image-id imageTag=v2 \
    --query imageScanFindings.findings[].name --output text >"$work/findings-before.txt"
fake-ecr clock --json | jq -r .now >"$work/clock-before.txt"
# docker login's equivalent, into an auth file of our own, now (tokens last 12 hours on the fake's clock):
# it must still work after the restart.
aws ecr get-login-password | skopeo login --authfile "$work/auth.json" --tls-verify=false \
    --username AWS --password-stdin "$host" >/dev/null
stop
say "stopped with SIGTERM"

# --- after a restart: no flags; the data dir keeps the settings (scan delay) too --------------------------
serve
aws ecr describe-images --repository-name demo/app --output json >"$work/images-after.json"
diff "$work/images-before.json" "$work/images-after.json"
say "images as they were: $(jq -r '[.imageDetails[].imageTags[]] | join(",")' "$work/images-after.json")"
aws ecr describe-image-scan-findings --repository-name demo/app --image-id imageTag=v2 \
    --query imageScanFindings.findings[].name --output text >"$work/findings-after.txt"
diff "$work/findings-before.txt" "$work/findings-after.txt"
say "findings as they were: $(cat "$work/findings-after.txt")"
before=$(date -d "$(cat "$work/clock-before.txt")" +%s) now=$(date -d "$(fake-ecr clock --json | jq -r .now)" +%s)
[ $((now - before)) -ge 0 ] && [ $((now - before)) -lt 600 ] && [ $((now - $(date +%s))) -ge $((2 * 86400 - 600)) ]
say "clock still 2 days ahead"
fake-ecr status | grep -q '^  demo/app: 1 image, scan on push, lifecycle policy$'
say "status: $(fake-ecr status | grep 'demo/app')"
skopeo copy --quiet --authfile "$work/auth.json" --src-tls-verify=false "docker://$uri:v2" "oci:$work/pulled:v2"
say "pulled v2 with the login from before the restart"
if aws ecr describe-images --repository-name demo/app --image-ids imageTag=v1 >/dev/null 2>&1; then
    say "v1, expired by the lifecycle run, is back"
    exit 1
fi
# The scan delay kept in the data dir: a new push's scan is still running (it would be done at once without).
skopeo copy --quiet --authfile "$work/auth.json" --dest-tls-verify=false "oci:$layout:v1" "docker://$uri:v3"
[ "$(aws ecr describe-image-scan-findings --no-paginate --repository-name demo/app --image-id imageTag=v3 \
    --query imageScanStatus.status --output text)" = IN_PROGRESS ]
say "settings kept: a new push's scan waits for the scan delay"
stop
say "demo state intact after restart"

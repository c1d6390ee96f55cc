#!/usr/bin/env sh
# Before deploying a service, check that its app's callback is what it expects.
#
#   examples/ci/pre-deploy.sh conference-prod [callbacks.yaml]
#
# Needs the app's credentials in the environment (see docs/credentials.md). Exits with
# cbcheck's code: 0 in sync, 1 drift, 2 bad file or app name, 3 credentials, 4 API.
set -eu

app="${1:?usage: pre-deploy.sh APP_NAME_OR_SDKAPPID [callbacks.yaml]}"
file="${2:-callbacks.yaml}"

if cbcheck verify --app "$app" "$file"; then
  echo "callback of $app is in sync: deploying"
else
  rc=$?
  echo "not deploying: cbcheck exited $rc for $app (its report is above)" >&2
  exit "$rc"
fi

#!/bin/sh
# Example deploy step for integrations/deploy.json. It is run without a shell in between: every argument arrives
# exactly as the manifest's argv built it. Replace the body with your real deployment.
#   usage: deploy.sh ENV REF
set -eu
if [ "$#" -ne 2 ]; then
    echo "deploy.sh: expected ENV and REF, got $# arguments" >&2
    exit 64
fi
case "$1" in
    staging|production) ;;
    *) echo "deploy.sh: unknown environment '$1'" >&2; exit 65 ;;
esac
echo "deploy.sh: deploying $2 to $1 (request ${DEPLOY_REQUEST_ID:-?}, by ${DEPLOY_BY:-?})"

#!/bin/sh
# Prints a HipChat Connect JWT (HS256) signed with SECRET, valid for 5 minutes: what HipChat puts in the
# signed_request parameter of a webhook. For trying the host with hipchat_secret set:
#   curl "localhost:8000/hipchat?signed_request=$(integrations/scripts/hipchat-jwt.sh "$HIPCHAT_SECRET")" ...
set -eu
secret=${1:?usage: hipchat-jwt.sh SECRET}
b64url() { base64 | tr -d '=\n' | tr '+/' '-_'; }
now=$(date +%s)
header=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
claims=$(printf '{"iss":"integration-host-try","sub":"1","iat":%s,"exp":%s}' "$now" $((now + 300)) | b64url)
signature=$(printf '%s' "$header.$claims" | openssl dgst -sha256 -hmac "$secret" -binary | b64url)
printf '%s.%s.%s\n' "$header" "$claims" "$signature"

#!/usr/bin/env bash
# `make run`: starts the quickstart's messages API on :3010 in front of an issuer.
# The issuer defaults to signet's own authorization server address (http://localhost:4000/);
# point it at any OpenID Connect issuer, Auth0 included:
#   make run ISSUER=https://YOUR_DOMAIN/ AUDIENCE=https://quickstarts/api
set -euo pipefail
bin=${1:-build/signet}
export SIGNET_ISSUER=${ISSUER:-${SIGNET_ISSUER:-http://localhost:4000/}}
export SIGNET_AUDIENCE=${AUDIENCE:-${SIGNET_AUDIENCE:-https://quickstarts/api}}
export SIGNET_LISTEN=${LISTEN:-${SIGNET_LISTEN:-127.0.0.1:3010}}

cat <<MSG

  signet messages API  ->  http://${SIGNET_LISTEN}
  issuer               ->  ${SIGNET_ISSUER}   (keys from its /.well-known/openid-configuration)
  audience             ->  ${SIGNET_AUDIENCE}

  Try it (from another terminal):
    curl -i http://${SIGNET_LISTEN}/api/public
    curl -i http://${SIGNET_LISTEN}/api/private                      # 401: no token
    curl -i http://${SIGNET_LISTEN}/api/private \\
         -H "Authorization: Bearer \$ACCESS_TOKEN"                   # 200 with a token from the issuer
    curl -i http://${SIGNET_LISTEN}/api/private-scoped \\
         -H "Authorization: Bearer \$ACCESS_TOKEN"                   # 403 unless it has read:messages

  Another issuer: make run ISSUER=https://YOUR_DOMAIN/ AUDIENCE=YOUR_API_IDENTIFIER
  Every flag: ${bin} api --help.   Ctrl-C stops.

MSG
exec "$bin" api

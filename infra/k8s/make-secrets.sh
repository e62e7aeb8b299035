#!/usr/bin/env bash
# Makes the Secrets the manifests refer to, in the current kubectl context's cluster: a password per
# service for its PostgreSQL role and RabbitMQ user, and the signing keys. Run once, before
# `kubectl apply -k infra/k8s`. Nothing here is written to disk; existing Secrets are left as they are
# (a key once made signs the audit log for good: rotate it as README.md says, not by running this again).
set -euo pipefail
ns=${NAMESPACE:-bodycam}
kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
have() { kubectl -n "$ns" get secret "$1" >/dev/null 2>&1; }
password() { openssl rand -hex 24; }

# CloudNativePG's managed roles and the Messaging Topology Operator's users read basic-auth Secrets.
for role in ingest location authorisation streaming audit integration identity; do
  have "bodycam-pg-$role" || kubectl -n "$ns" create secret generic "bodycam-pg-$role" --type=kubernetes.io/basic-auth \
    --from-literal=username="bodycam_$role" --from-literal=password="$(password)"
done
for user in ingest location authorisation streaming audit integration gateway; do
  have "bodycam-mq-$user" || kubectl -n "$ns" create secret generic "bodycam-mq-$user" --type=kubernetes.io/basic-auth \
    --from-literal=username="bodycam-$user" --from-literal=password="$(password)"
done

# The signing keys: RSA for tokens, stream tokens and chain statements; Ed25519 for the log's
# checkpoints (audit reads its 32-byte seed in base64: the last 32 bytes of the PKCS#8 key).
if ! have bodycam-keys; then
  dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
  for key in identity-signing stream-token-signing audit-checkpoint-signing; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/$key.pem" 2>/dev/null
  done
  openssl genpkey -algorithm ED25519 -outform DER | tail -c 32 | base64 > "$dir/audit-log.key"
  kubectl -n "$ns" create secret generic bodycam-keys \
    --from-file="$dir/identity-signing.pem" --from-file="$dir/stream-token-signing.pem" \
    --from-file="$dir/audit-checkpoint-signing.pem" --from-file="$dir/audit-log.key"
  echo "Give each witness the log's verifier key, from the witness program:"
  echo "  dotnet witness.dll vkey --key-file <audit-log.key> --name ${LOG_ORIGIN:-bodycam.force.example/audit} --type log"
fi

# The audit log's witnesses (run elsewhere): their address and verifier key, from their operator.
have bodycam-audit || kubectl -n "$ns" create secret generic bodycam-audit \
  --from-literal=witness-url="${WITNESS_URL:?set WITNESS_URL to the witness's https address}" \
  --from-literal=witness-key="${WITNESS_KEY:?set WITNESS_KEY to the witness's verifier key}"
echo "Secrets in namespace $ns are in place."

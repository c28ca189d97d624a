#!/usr/bin/env bash
# Creates a private CA and TLS certificates for the keyserver and the injector, stores them as
# Secrets/ConfigMaps in the keyward namespace, and writes the CA into the webhook's caBundle.
# For clusters without cert-manager. Needs openssl and kubectl with rights in `keyward`.
#
#   deploy/gen-certs.sh [DAYS]     (default 365; re-run before expiry to renew)
set -euo pipefail
days="${1:-365}"
ns=keyward
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
  -subj "/CN=Keyward CA" -keyout ca.key -out ca.crt \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null

issue() { # name dns...
  local name="$1"; shift
  local san; san="$(printf 'DNS:%s,' "$@")"; san="${san%,}"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
    -keyout "$name.key" -out "$name.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' "$san" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  openssl pkcs8 -topk8 -nocrypt -in "$name.key" -out "$name.pk8"
}
issue keyserver keyward-keyserver keyward-keyserver.$ns keyward-keyserver.$ns.svc keyward-keyserver.$ns.svc.cluster.local
issue injector keyward-injector keyward-injector.$ns keyward-injector.$ns.svc

kubectl get namespace "$ns" >/dev/null 2>&1 || kubectl create namespace "$ns"
apply() { kubectl -n "$ns" create "$@" --dry-run=client -o yaml | kubectl apply -f -; }
apply secret tls keyward-keyserver-tls --cert=keyserver.crt --key=keyserver.pk8
apply secret tls keyward-injector-tls --cert=injector.crt --key=injector.pk8
apply configmap keyward-keyserver-ca --from-file=ca.crt=ca.crt

if kubectl get mutatingwebhookconfiguration keyward-injector >/dev/null 2>&1; then
  kubectl patch mutatingwebhookconfiguration keyward-injector --type=json \
    -p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$(base64 -w0 ca.crt)\"}]"
else
  echo "MutatingWebhookConfiguration keyward-injector not installed yet: run this script again after 'kubectl apply -k'" >&2
fi
echo "CA certificate (keep it to verify the keyserver from outside the cluster):"
cat ca.crt

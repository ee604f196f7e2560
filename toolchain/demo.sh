#!/bin/sh
# demo.sh: on a fresh Debian 12 (root): install what is missing, build, make a
# demo PKI and flash folder, and serve https://127.0.0.1:8443 (and [::1]:8443).
# Stop with Ctrl-C. Re-running keeps the PKI and any table you provisioned.
set -eu
cd "$(dirname "$0")/.."
sh toolchain/install-deps.sh build
cmake -S . -B build-demo -G Ninja -DCMAKE_BUILD_TYPE=Release -DGH_TESTS=OFF >/dev/null
cmake --build build-demo --target gatehouse
bash certs/make-pki.sh build-demo/pki >/dev/null
bash certs/make-flash.sh build-demo/pki build-demo/flash >/dev/null
pki=$PWD/build-demo/pki
cat <<MSG

Gatehouse demo: https://127.0.0.1:8443 (mutual TLS only). Try:

  curl --cacert $pki/root.pem --cert $pki/admin-chain.pem --key $pki/admin.key https://127.0.0.1:8443/api/whoami

Other clients: operator, viewer, field, contractor (denied), unmapped, expired, revoked, ...
A browser: import $pki/admin.p12 (password: gatehouse) and trust $pki/root.pem.
The mapping table is build-demo/flash/certmap.ini; check it with
  build-demo/server/gatehouse check build-demo/flash/certmap.ini --cert $pki/field.pem

MSG
exec build-demo/server/gatehouse serve --flash build-demo/flash --listen 127.0.0.1:8443 --listen '[::1]:8443'

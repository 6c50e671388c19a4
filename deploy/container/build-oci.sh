#!/usr/bin/env bash
# Builds the exporter's container image without a Docker daemon (docs/deploy.md):
# a root filesystem holding the release binary and exactly the shared libraries it
# loads (as ldd finds them on this Debian 12 machine), a non-root user and the CA
# bundle, packed with umoci and written as an OCI archive with skopeo.
# Usage: deploy/container/build-oci.sh [OUT.tar]   (default build/loki-latency-exporter-oci.tar)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-build/loki-latency-exporter-oci.tar}"
binary="${LLE_BINARY:-build/release/exporter/app/loki-latency-exporter}"  # tests pass theirs
tag="$(git describe --tags --always 2>/dev/null || echo dev)"
[ -x "$binary" ] || { echo "build-oci: build the release preset first ($binary)" >&2; exit 1; }
for tool in umoci skopeo ldd; do
  command -v "$tool" >/dev/null || { echo "build-oci: $tool is missing (deploy/dev/install-deps.sh)" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc/ssl/certs" "$rootfs/etc/loki-latency-exporter" \
         "$rootfs/var/lib/loki-latency-exporter" "$rootfs/tmp"
install -m 0755 "$binary" "$rootfs/usr/local/bin/loki-latency-exporter"
strip --strip-debug "$rootfs/usr/local/bin/loki-latency-exporter"
# Every shared library the binary loads, and the loader, at their own paths.
ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u | while read -r lib; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nexporter:x:65534:65534:loki-latency-exporter:/var/lib/loki-latency-exporter:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nexporter:x:65534:\n' > "$rootfs/etc/group"
cp deploy/config/exporter.yaml deploy/config/services.yaml rules/alert-rules.yaml "$rootfs/etc/loki-latency-exporter/"
# In the image the policy sits beside exporter.yaml.
sed -i 's|policy_file: ../../rules/alert-rules.yaml|policy_file: alert-rules.yaml|' "$rootfs/etc/loki-latency-exporter/exporter.yaml"
chown -R 65534:65534 "$rootfs/var/lib/loki-latency-exporter"
chmod 1777 "$rootfs/tmp"

layout="$work/oci"
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --image "$layout:$tag" "$work/bundle" >/dev/null
rm -rf "$work/bundle/rootfs"
mv "$rootfs" "$work/bundle/rootfs"
umoci repack --image "$layout:$tag" "$work/bundle"
umoci config --image "$layout:$tag" \
  --config.user 65534:65534 \
  --config.entrypoint /usr/local/bin/loki-latency-exporter \
  --config.cmd run --config.cmd --config --config.cmd /etc/loki-latency-exporter/exporter.yaml \
  --config.exposedports 9464/tcp \
  --config.workingdir /var/lib/loki-latency-exporter \
  --config.label org.opencontainers.image.title=loki-latency-exporter \
  --config.label "org.opencontainers.image.version=$tag"
mkdir -p "$(dirname "$out")"
rm -f "$out"
skopeo copy --quiet "oci:$layout:$tag" "oci-archive:$out:$tag"
echo "build-oci: wrote $out ($(du -h "$out" | cut -f1), tag $tag)"

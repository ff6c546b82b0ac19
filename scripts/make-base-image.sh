#!/usr/bin/env bash
# Builds a stand-in for the `debian:bookworm-slim` Docker image from Debian's
# package archive, for machines that can reach the archive but no container
# registry:
#
#   debootstrap --variant=minbase bookworm <dir> <mirror>
#   tar -C <dir> -c . | docker import - debian:bookworm-slim
#
# The mirror is read from this machine's apt configuration (sources.list and
# sources.list.d, one-line or deb822 format), so whatever archive apt already
# uses is used here too; set DEBIAN_MIRROR to override it.
#
#   scripts/make-base-image.sh            build and import, unless the tag exists
#   scripts/make-base-image.sh --force    rebuild even if the tag exists
#
# Environment: BASE_IMAGE_TAG (default debian:bookworm-slim), DEBIAN_SUITE
# (default bookworm), DEBIAN_MIRROR, DEBOOTSTRAP_TIMEOUT (seconds, default 1200).
set -euo pipefail

tag="${BASE_IMAGE_TAG:-debian:bookworm-slim}"
suite="${DEBIAN_SUITE:-bookworm}"
debootstrap_timeout="${DEBOOTSTRAP_TIMEOUT:-1200}"
force=0
[ "${1:-}" = "--force" ] && force=1

log() { echo "make-base-image: $*" >&2; }

if [ "$force" -eq 0 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag already exists"
  exit 0
fi

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"

# Prints "URI SUITE" for every enabled deb source in apt's configuration.
apt_sources() {
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$file" ] || continue
    # deb [options] uri suite components...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$file" |
      awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
  done
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -r "$file" ] || continue
    # deb822 stanzas separated by blank lines; only Types containing "deb".
    awk '
      function flush() {
        if (types ~ /(^|[ \t])deb([ \t]|$)/ && enabled !~ /^[ \t]*no/) {
          n = split(uris, u, /[ \t]+/); m = split(suites, s, /[ \t]+/)
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            if (u[i] != "" && s[j] != "") print u[i], s[j]
        }
        types = uris = suites = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:"   { sub(/^[^:]*:/, ""); types = $0 }
      tolower($1) == "uris:"    { sub(/^[^:]*:/, ""); uris = $0 }
      tolower($1) == "suites:"  { sub(/^[^:]*:/, ""); suites = $0 }
      tolower($1) == "enabled:" { sub(/^[^:]*:/, ""); enabled = $0 }
      END { flush() }
    ' "$file"
  done
}

mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(apt_sources | awk -v s="$suite" '$2 == s { print $1; exit }')"
fi
if [ -z "$mirror" ]; then
  log "no apt source for suite '$suite' found in /etc/apt; set DEBIAN_MIRROR"
  exit 1
fi
security_mirror="$(apt_sources | awk -v s="$suite-security" '$2 == s { print $1; exit }')"
log "mirror: $mirror${security_mirror:+ (security: $security_mirror)}"

if ! command -v debootstrap >/dev/null 2>&1; then
  log "installing debootstrap"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

workdir="$(mktemp -d "${TMPDIR:-/tmp}/base-image.XXXXXX")"
cleanup() { $sudo rm -rf "$workdir"; }
trap cleanup EXIT
rootfs="$workdir/rootfs"

log "debootstrap --variant=minbase $suite (log: $workdir/debootstrap.log)"
if ! $sudo timeout "$debootstrap_timeout" debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" \
     >"$workdir/debootstrap.log" 2>&1; then
  tail -n 30 "$workdir/debootstrap.log" >&2
  log "debootstrap failed"
  exit 1
fi

# Make it resemble the official slim image: deb822 sources with updates (and
# security, when this machine has it), no docs/man pages/locales, no apt caches.
$sudo rm -f "$rootfs/etc/apt/sources.list"
{
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$suite" "$suite"
  if [ -n "$security_mirror" ]; then
    printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$security_mirror" "$suite"
  fi
} | $sudo tee "$rootfs/etc/apt/sources.list.d/debian.sources" >/dev/null

$sudo tee "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
$sudo tee "$rootfs/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
$sudo tee "$rootfs/etc/apt/apt.conf.d/docker-no-languages" >/dev/null <<'EOF'
Acquire::Languages "none";
EOF
$sudo find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
$sudo find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
$sudo rm -rf "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"* "$rootfs/usr/share/groff/"* \
             "$rootfs/usr/share/lintian/"* "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin \
             "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/log/"*.log "$rootfs/tmp/"*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec $sudo rm -rf {} + 2>/dev/null || true
# Resolved by Docker at run time.
$sudo rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"
$sudo truncate -s 0 "$rootfs/etc/machine-id" 2>/dev/null || true

log "importing as $tag"
$sudo tar --numeric-owner -C "$rootfs" -c . |
  docker import --change 'CMD ["bash"]' \
                --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
                - "$tag" >/dev/null
log "done: $(docker image inspect -f '{{.Id}} {{.Size}} bytes' "$tag")"

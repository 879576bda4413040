# debian.sh: shell functions the lanes' prepare scripts source to fetch Debian packages without installing them.
# Functions (each reports on stderr, with the caller's say/die if defined):
#   fetch_deb PKG DIR          apt-get download PKG (PKG may be NAME:ARCH) into DIR; retries once after
#                              apt-get update when root
#   kernel_pkg META            the versioned kernel package META depends on (e.g. linux-image-arm64:arm64
#                              -> linux-image-6.1.0-56-arm64), without its :ARCH; empty when apt cannot tell
#   cached_kernel_pkg DIR      the newest kernel-* folder in DIR with a "package" file, as linux-image-VER
#   static_busybox ARCH OUT    a static busybox for dpkg architecture ARCH at OUT: the installed
#                              busybox-static when ARCH is the host's, else busybox-static:ARCH unpacked
#   is_static FILE             FILE is an executable with no ELF interpreter
#   lane_hash FILE...          12 hex digits of the files' sha256
# Needs apt-get, apt-cache, dpkg, dpkg-deb, readelf.

fetch_deb() {
	(cd "$2" && apt-get download -q "$1" >download.log 2>&1) && return 0
	if [ "$(id -u)" = 0 ]; then
		echo "debian.sh: apt-get download $1 failed; updating the package lists once" >&2
		apt-get update -qq >/dev/null 2>&1 || true
		(cd "$2" && apt-get download -q "$1" >download.log 2>&1) && return 0
	fi
	cat "$2/download.log" >&2
	return 1
}

kernel_pkg_query() {
	apt-cache depends "$1" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ && !f { sub(/:.*/, "", $2); print $2; f = 1 }' || true
}

kernel_pkg() {
	local k
	k=$(kernel_pkg_query "$1")
	if [ -z "$k" ] && [ "$(id -u)" = 0 ]; then
		echo "debian.sh: apt-cache knows no $1; updating the package lists once" >&2
		apt-get update -qq >/dev/null 2>&1 || true
		k=$(kernel_pkg_query "$1")
	fi
	echo "$k"
}

cached_kernel_pkg() {
	local last
	last=$(find "$1" -maxdepth 1 -name 'kernel-*' -type d 2>/dev/null | sort -V | tail -n 1)
	[ -n "$last" ] && [ -e "$last/package" ] || return 1
	echo "linux-image-$(basename "$last" | sed 's/^kernel-//')"
}

is_static() { [ -x "$1" ] && ! readelf -l "$1" 2>/dev/null | grep -q 'interpreter'; }

static_busybox() {
	local arch=$1 out=$2 bb='' t
	if [ "$arch" = "$(dpkg --print-architecture)" ] &&
		dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed'; then
		bb=$(dpkg -L busybox-static | awk '/\/bin\/busybox$/ && !f { print; f = 1 }')
		is_static "$bb" || bb=
	fi
	t=$(mktemp -d)
	if [ -z "$bb" ]; then
		echo "debian.sh: fetching busybox-static:$arch" >&2
		fetch_deb "busybox-static:$arch" "$t" || { rm -rf "$t"; return 1; }
		dpkg -x "$t"/*.deb "$t/x"
		bb=$t/x/bin/busybox
		is_static "$bb" || { echo "debian.sh: busybox-static:$arch is not static" >&2; rm -rf "$t"; return 1; }
	fi
	install -m 0755 "$bb" "$out.new" && mv "$out.new" "$out"
	rm -rf "$t"
}

lane_hash() { cat "$@" | sha256sum | cut -c1-12; }

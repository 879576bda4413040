# kmods.sh: sourced by the lanes' prepare scripts: copies kernel modules and their dependencies out of
# an unpacked Debian kernel package, uncompressed, with their load order.
#   kmods_resolve TREE OUTDIR MODULE...   TREE: the package's lib/modules/<version>/kernel. Copies each
#                                          MODULE and, first, everything its .modinfo "depends=" names
#                                          (Debian's package ships no modules.dep) to OUTDIR/NAME.ko
#                                          and appends the names to OUTDIR/order, dependencies first.
#                                          Returns 1 with a message on stderr when a module is missing.
# Needs objcopy for the modules' architecture (KMODS_OBJCOPY, default objcopy: the host's binutils
# read only its own ELF format), and xz/zstd/gzip for compressed modules.
# shellcheck shell=bash

kmods_resolve() {
	local tree=$1 out=$2 m
	shift 2
	mkdir -p "$out"
	: >"$out/order"
	local -A seen=()
	for m; do _kmods_visit "$tree" "$out" "$m" || return 1; done
}

# The copy of one module after its dependencies; 'seen' is kmods_resolve's (bash's dynamic scope).
_kmods_visit() {
	local tree=$1 out=$2 m=$3 f d deps key base modinfo
	key=${m//-/_}
	[ -n "${seen[$key]:-}" ] && return 0
	seen[$key]=1
	f=$(find "$tree" \( -name "$m.ko*" -o -name "${m//_/-}.ko*" -o -name "${m//-/_}.ko*" \) -print -quit)
	[ -n "$f" ] || { echo "kmods: no module $m in $tree" >&2; return 1; }
	# Through a file: some objcopy builds write nothing to /dev/stdout when it is a pipe.
	"${KMODS_OBJCOPY:-objcopy}" -O binary --only-section=.modinfo "$f" "$out/.modinfo" &&
		modinfo=$(tr '\0' '\n' <"$out/.modinfo") && [ -n "$modinfo" ] ||
		{ echo "kmods: cannot read the .modinfo of $f (${KMODS_OBJCOPY:-objcopy})" >&2; return 1; }
	rm -f "$out/.modinfo"
	deps=$(echo "$modinfo" | sed -n 's/^depends=//p' | tr ',' ' ')
	for d in $deps; do _kmods_visit "$tree" "$out" "$d" || return 1; done
	base=$(basename "$f")
	base=${base%%.ko*}
	case $f in # busybox insmod takes plain ELF objects only
	*.ko) cp "$f" "$out/$base.ko" ;;
	*.ko.xz) xz -dc "$f" >"$out/$base.ko" ;;
	*.ko.zst) zstd -dcq "$f" >"$out/$base.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$out/$base.ko" ;;
	*) echo "kmods: unknown module compression: $f" >&2; return 1 ;;
	esac
	echo "$base" >>"$out/order"
}

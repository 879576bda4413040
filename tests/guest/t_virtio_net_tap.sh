#!/usr/bin/env bash
# t_virtio_net_tap.sh: virtio-net over virtio-mmio on a tap inside a network
# namespace this test creates (the host's own network is never touched): the
# guest's frame is read on the tap's host side, and a frame injected there is
# received by the guest. Then, where the host's tap takes the UDP tunnel
# offloads (Linux 6.17+; probed here on a tap of its own), the same exchange
# with the guest acking feature bits 65-68 (nettunnel=1): it must read them
# in feature word 2, and both frames travel behind the 24-byte tunnel header,
# so a tap left at another header size would shift them and the test fails.
. "$(dirname "$0")/lib.sh"
need_kvm
need_guest vnet.bzimage
IF=vnet0
MAC=52:54:00:12:34:56
tap_netns vnet "$IF"

# responder OUT: the host side: wait for the guest's frame (EtherType
# 0x88b5), then answer it (in the background). Returns once its socket is
# bound (OUT.ready), so the guest's one frame cannot come before it.
responder() {
	in_ns python3 - "$IF" "$1" <<'PY' &
import socket, sys, time
ifname, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((ifname, 0))
s.settimeout(60)
open(out + ".ready", "w").close()
with open(out, "w") as f:
    try:
        while True:
            fr = s.recv(2048)
            if fr[12:14] == b"\x88\xb5" and b"minivmm-vnet-tx" in fr:
                break
    except socket.timeout:
        f.write("timeout\n")
        sys.exit(1)
    f.write("got %d bytes from %s: %s\n" % (len(fr), fr[6:12].hex(":"),
            fr[14:29].decode()))
    f.flush()
    reply = fr[6:12] + bytes.fromhex("020000000001") + b"\x88\xb5" + \
        b"minivmm-vnet-rx" + bytes(31)
    for _ in range(5):
        s.send(reply)
        time.sleep(0.2)
PY
	helper=$!
	local i
	for ((i = 0; i < 200; i++)); do
		[ -e "$1.ready" ] && return 0
		sleep 0.05
	done
	fail "the host-side responder did not start within 10 s"
}
printf '#!/bin/sh\nexec ip netns exec %s %s/minivmm "$@"\n' "$NS" "$PWD" >"$T/vmm-ns"
chmod +x "$T/vmm-ns"
VMM=$T/vmm-ns

# exchange NAME EXTRA_PARAMS: one run, its frame each way checked.
exchange() {
	local hrc
	responder "$T/$1.host"
	vm "$1" -k "$G/vnet.bzimage" -m 64M --timeout 30 --virtio-transport mmio \
		-n "mode=tap,tapif=$IF,guest_mac=$MAC" -p "acpi=off $2"
	wait "$helper"
	hrc=$?
	expect_rc 53 "the guest sent a frame and received the injected one"
	[ $hrc -eq 0 ] || fail "host side: $(cat "$T/$1.host" 2>/dev/null)"
	grep -q "got 60 bytes from $MAC: minivmm-vnet-tx" "$T/$1.host" ||
		fail "host side saw: $(cat "$T/$1.host")"
	expect_log "vnet: sent a frame from $MAC"
	expect_log "vnet: received 60 bytes, num_buffers 1: minivmm-vnet-rx"
}

exchange net ""
pass "virtio-net: a frame each way through a tap in namespace $NS"

# Does this kernel's tap take TUN_F_UDP_TUNNEL_GSO(_CSUM) (0x80, 0x100) on
# top of CSUM|TSO4|TSO6? (TUNSETIFF 0x400454ca, TUNSETOFFLOAD 0x400454d0.)
in_ns python3 - <<'PY' 2>"$T/probe.err" || skip "this host's tap refuses the UDP tunnel offloads (Linux < 6.17): bits 65-68 are not offered, nothing more to test: $(tail -n 1 "$T/probe.err")"
import fcntl, os, struct
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"probe0", 0x0002 | 0x1000 | 0x4000))
fcntl.ioctl(fd, 0x400454d0, 0x01 | 0x02 | 0x04 | 0x80 | 0x100)
PY
exchange tunnel nettunnel=1
expect_log "vnet: feature word 2 offered 0x1e"
expect_log "vnet: acked bits 65-68, 24-byte header"
pass "virtio-net: bits 65-68 offered and acked end to end: a frame each way behind the 24-byte tunnel header"

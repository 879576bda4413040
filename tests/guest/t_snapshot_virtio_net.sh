#!/usr/bin/env bash
# t_snapshot_virtio_net.sh: virtio-net over a tap in snapshots. Inside a
# network namespace this test creates, a guest (vnet.c, netloop=N over
# virtio-mmio) runs numbered rounds with a responder on the tap's host side:
# it sends "ping i", waits for "pong i" (which the responder only sends on
# seeing that ping), prints "vnet: round i ok". Mid-loop the VM is paused,
# snapshotted and killed (-9); the restore reopens the recorded tap and must
# finish the loop: the original's rounds and the restored one's together are
# exactly 0..N-1, so every round after the restore moved one frame out of the
# guest and one into it. A pong lost at the snapshot (in flight, or sent
# while no VMM had the tap open) is covered by the guest sending its ping
# again; the number of such resends is reported.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/snaplib.sh"
need_kvm
need_guest vnet.bzimage
ROUNDS=150
AT=40 # the snapshot is taken once this round is done
IF=snap0
MAC=52:54:00:12:34:57
tap_netns snapnet "$IF"

# The responder: every "ping i" is answered with "pong i" 10 ms later (so
# the loop runs long enough to be caught mid-way); the rounds it answered
# go to a file, one a line. (ip netns exec execs python3: $! is its pid.)
ip netns exec "$NS" python3 - "$IF" "$T/responder.log" <<'PY' &
import socket, sys, time
ifname, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
s.bind((ifname, 0))
ping = b"minivmm-vnet-ping\0"
with open(out, "w") as f:
    while True:
        fr = s.recv(2048)
        if fr[12:14] != b"\x88\xb5" or fr[14:14 + len(ping)] != ping:
            continue
        seq = fr[14 + len(ping):18 + len(ping)]
        f.write("%d\n" % int.from_bytes(seq, "little"))
        f.flush()
        time.sleep(0.01)
        body = b"minivmm-vnet-pong\0" + seq
        s.send(fr[6:12] + bytes.fromhex("020000000001") + b"\x88\xb5" +
               body + bytes(46 - len(body)))
PY
BG+=($!)
printf '#!/bin/sh\nexec ip netns exec %s %s/minivmm "$@"\n' "$NS" "$PWD" >"$T/vmm-ns"
chmod +x "$T/vmm-ns"
VMM=$T/vmm-ns

for ((i = 0; i < ROUNDS; i++)); do printf 'vnet: round %d ok\r\n' "$i"; done >"$T/expected"
rounds() { grep -a '^vnet: round ' "$@"; }

NAME=orig LOG=$T/orig.serial ERR=$T/orig.err
"$VMM" run -k "$G/vnet.bzimage" -m 64M --virtio-transport mmio \
	-n "mode=tap,tapif=$IF,guest_mac=$MAC" -p "acpi=off netloop=$ROUNDS" \
	--name snapnet --serial-log "$LOG" --timeout 90 </dev/null >"$T/orig.out" 2>"$ERR" &
pid=$!
BG+=("$pid")
wait_log "$LOG" "vnet: round $AT ok" 60
ctl pause snapnet
# The device's worker thread carries its index (top -H, ps -L, perf).
threads=$(cat /proc/"$pid"/task/*/comm | sort | tr '\n' ',')
case ",$threads" in
*,virtio-net0,*) ;;
*) fail "$NAME: no thread named virtio-net0 among: $threads" ;;
esac
ctl snapshot snapnet "$T/net.snap"
kill -9 "$pid"
wait "$pid" 2>/dev/null
grep -q "vnet: loop done" "$LOG" && fail "$NAME: the loop ended before the snapshot"
before=$(rounds "$LOG" | wc -l)
answered=$(wc -l <"$T/responder.log")

RESTORE_TIMEOUT=90 restore restored "$T/net.snap"
expect_rc 53 "the restored guest finishes its rounds"
[ -s "$ERR" ] && fail "$NAME: unexpected stderr: $(head -c 300 "$ERR")"
expect_log "vnet: loop done"
cat "$T/orig.serial" "$LOG" | rounds | cmp -s - "$T/expected" ||
	fail "$NAME: original + restored rounds are not 0..$((ROUNDS - 1)): $(cat "$T/orig.serial" "$LOG" | rounds | diff - "$T/expected" | head -n 6)"
after=$(rounds "$LOG" | wc -l)
[ "$after" -gt 0 ] || fail "$NAME: no round after the restore"
resent=$(grep -ac 'ping again' "$LOG")
late=$(($(wc -l <"$T/responder.log") - answered))
# The round in progress at the snapshot may have had its ping answered
# before it (its pong already in guest RAM): one round may need no new ping.
[ "$late" -ge $((after - 1)) ] || fail "$NAME: the responder saw $late pings after the snapshot for $after rounds"
pass "virtio-net on a tap: snapshot after $before rounds, kill -9, restore on the recorded tap: $after more rounds each way ($late pings answered, $resent resent)"

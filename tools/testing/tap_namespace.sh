# Sourced by tests that run a program on the native stack over a TAP device,
# with Linux's own stack at the other end, inside a network namespace the test
# creates: Linux is tap0 = 192.0.2.1/24, our stack 192.0.2.2.
#
#   source tools/testing/tap_namespace.sh
#   tap_namespace_enter "$0" nc curl   # re-runs the script inside (or SKIPs)
#   tap_namespace_setup                # lo and tap0 up, Linux's address
#   "$server" "${NATIVE_STACK[@]}" ...
#
# Outside a namespace, or without root or a named tool, the test says SKIP and
# passes: it creates interfaces and must not touch the host's.

# The native stack's options on tap0; NATIVE_STACK adds one shard (most
# tests need no more; with --smp N, shard 0 drives the one TAP queue).
NATIVE_STACK_OPTIONS=(--network-stack native --tap-device tap0 --host-ipv4-addr 192.0.2.2
    --gw-ipv4-addr 192.0.2.1 --netmask-ipv4-addr 255.255.255.0 --overprovisioned)
NATIVE_STACK=("${NATIVE_STACK_OPTIONS[@]}" --smp 1)

# To stderr, so that it shows even from inside $(...).
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Kills the background process `pid` when the script exits (a failed check
# must not leave a server behind).
kill_on_exit() { # pid
    trap "kill -INT $1 2>/dev/null || true" EXIT
}

tap_namespace_enter() { # script [tools the test needs...]
    local script=$1
    shift
    if [[ "${TAP_NAMESPACE_INSIDE:-}" == 1 ]]; then
        # Never set up interfaces in the namespace the machine started with.
        [[ "$(readlink /proc/self/ns/net)" != "$(readlink /proc/1/ns/net)" ]] ||
            fail "TAP_NAMESPACE_INSIDE is set but this is not a namespace of our own"
        return 0
    fi
    local tool
    for tool in ip unshare timeout "$@"; do
        command -v "$tool" >/dev/null || {
            echo "SKIP: $tool not installed"
            exit 0
        }
    done
    [[ $(id -u) == 0 ]] || {
        echo "SKIP: needs root for a network namespace and a TAP device"
        exit 0
    }
    TAP_NAMESPACE_INSIDE=1 exec unshare -n "$script"
}

tap_namespace_setup() {
    ip link set lo up
    ip tuntap add dev tap0 mode tap
    ip link set tap0 up
    ip addr add 192.0.2.1/24 dev tap0
}

# Runs `check` (a command) until it succeeds, at most `tries` times; sanitizer
# builds on a busy machine answer slowly, so each try may take seconds.
wait_until() { # tries command...
    local tries=$1
    shift
    local i
    for i in $(seq "$tries"); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Stops a server with SIGINT and fails (showing its output) unless it exits 0.
stop_cleanly() { # pid output-file
    kill -INT "$1"
    local rc=0
    wait "$1" || rc=$?
    [[ $rc == 0 ]] || {
        cat "$2"
        fail "server exit status $rc"
    }
}

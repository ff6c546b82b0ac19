"""Shared harness for the end-to-end tests: real processes, real HTTP, real Redis.

Each test case gets a private redis-server (free port, temporary directory)
and the two real servers built by meson, started with a small TIME_SCALE.
Nothing is mocked: the tests speak HTTP to the servers and RESP to Redis.

With E2E_REDIS_CLUSTER=1 in the environment, each test's Redis is a six-node
Redis Cluster on loopback ports (3 masters, 3 replicas; class Cluster): the
servers get a multi-seed REDIS_URL, every command and script must keep its keys
in one slot, and the keys spread over three masters. A test that only sends
commands gets the cluster the previous test emptied; one that stops, signals or
reconfigures it gets a fresh one (fresh_redis()).

Results are printed as TAP ("ok N - name") so meson counts each case.
Every wait has a deadline; a server that does not exit cleanly on SIGTERM,
or that printed a sanitizer report, fails the test that started it.
"""

import atexit
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest
import urllib.error
import urllib.request

LOAN_PROCESSOR = os.environ.get("LOAN_PROCESSOR_BIN", "build/loan-processor/loan-processor")
VALUATION_SERVICE = os.environ.get("VALUATION_SERVICE_BIN", "build/valuation-service/valuation-service")
STATE_MACHINES_DIR = os.environ.get("STATE_MACHINES_DIR_FOR_TESTS", "loan-processor/state-machines")
# The servers' REDIS_TIMEOUT_MS when a test does not set it (common/service.c).
DEFAULT_REDIS_TIMEOUT_MS = 5000
ACCOUNT = "123456789012"
REGION = "us-east-1"
LOAN_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:LoanProcessorStateMachine"
PART1_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:LoanProcessorPart1StateMachine"
# The state machines loan-processor/state-machines ships (registered at every start), by name.
SHIPPED_MACHINES = ["LoanPortfolioStateMachine", "LoanProcessorJsonataStateMachine", "LoanProcessorPart1StateMachine",
                    "LoanProcessorStateMachine"]
ERROR_TOPIC = "LoanProcessorErrorTopic"
SAMPLE_APPLICATION = {"applicationReference": "app-ref", "property": {"nameOrNumber": "999", "postcode": "PO1 1CE"}}
TASK_CLOSED = "Task Timed Out: 'Provided task does not exist anymore'"
UNKNOWN_REFERENCE = "Unknown valuation reference"
ERROR_TOPIC_ARN = f"arn:aws:sns:{REGION}:{ACCOUNT}:{ERROR_TOPIC}"
CALLBACK_FUNCTION_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ValuationCallbackFunction"
IN_FLIGHT_KEY = "valuation-requests-in-flight"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
REDIS_CLUSTER = os.environ.get("E2E_REDIS_CLUSTER") == "1"


def machine_arn(name):
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


_sanitizer_build = None


def health_limit_s():
    """How long a second client's GET /health may take while a hostile request runs: 100 ms, times 4 for a
    sanitizer build of the servers (AddressSanitizer makes every request slower) and times the machine's overload
    (load average per core, when above 1). The stalls this guards against last 1 s or more."""
    global _sanitizer_build
    if _sanitizer_build is None:
        try:
            with open(LOAN_PROCESSOR, "rb") as binary:
                _sanitizer_build = b"__asan_init" in binary.read()
        except OSError:
            _sanitizer_build = False
    overload = os.getloadavg()[0] / (os.cpu_count() or 1)
    return 0.1 * (4 if _sanitizer_build else 1) * max(1.0, overload)


def raw_request(base_url, method, path, body=None, headers=None, timeout=10):
    """(status, body bytes) of one request on its own connection: nothing decoded, so that a body that is not UTF-8
    shows."""
    host, port = base_url.split("//", 1)[1].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def health_seconds(server):
    """How long server took to answer GET /health (infinity when it did not answer 200)."""
    started = time.monotonic()
    status, _ = raw_request(server.base_url, "GET", "/health", timeout=5)
    elapsed = time.monotonic() - started
    return elapsed if status == 200 else float("inf")


def assert_responsive(test, server, send):
    """Runs send() while a second client polls server's GET /health; asserts (with test) that every answer, and one
    after, took less than health_limit_s(). Returns what send() returned."""
    stop = threading.Event()
    latencies = []

    def probe():
        while not stop.is_set():
            latencies.append(health_seconds(server))
            time.sleep(0.005)
    thread = threading.Thread(target=probe)
    thread.start()
    try:
        result = send()
    finally:
        stop.set()
        thread.join(10)
    latencies.append(health_seconds(server))
    slow = [f"{seconds * 1000:.0f} ms" for seconds in latencies if seconds > health_limit_s()]
    test.assertEqual([], slow, f"GET /health took over health_limit_s() ({len(latencies)} probes)")
    return result


def wait_until(condition, timeout, interval=0.02, what="condition"):
    """Polls condition() until it returns a true value; fails after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def fnv1a_32(data):
    """FNV-1a, 32 bits, of bytes."""
    value = 2166136261
    for byte in data:
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def property_value(name_or_number, postcode):
    """The valuation service's documented formula, written again independently."""
    value = fnv1a_32(name_or_number.lower().encode() + b"|" + postcode.replace(" ", "").upper().encode())
    return 100000 + (value % 9001) * 100


def encode_command(*arguments):
    """One command in RESP."""
    payload = f"*{len(arguments)}\r\n".encode()
    for argument in arguments:
        data = argument if isinstance(argument, bytes) else str(argument).encode()
        payload += b"$%d\r\n%s\r\n" % (len(data), data)
    return payload


def read_reply(reader):
    """Reads one RESP reply from a binary file object; an error reply raises RuntimeError."""
    line = reader.readline()
    if not line:
        raise OSError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        length = int(rest)
        if length < 0:
            return None
        data = reader.read(length + 2)[:-2]
        return data.decode()
    if kind == b"*":
        count = int(rest)
        return None if count < 0 else [read_reply(reader) for _ in range(count)]
    raise OSError(f"unexpected RESP reply {line!r}")


class _LiveConnection:
    """A connection that stays open to receive what a server pushes (self.connection, read through self.reader)."""

    def close(self):
        self.reader.close()
        self.connection.close()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


class Subscription(_LiveConnection):
    """A live SUBSCRIBE on one channel, over its own connection (what redis-cli SUBSCRIBE shows); with sharded_too
    also SSUBSCRIBE (Redis 7's sharded pub/sub, on the node serving the channel's slot)."""

    def __init__(self, address, port, channel, sharded_too=False):
        self.channel = channel
        self.connection = socket.create_connection((address, port), timeout=5)
        self.reader = self.connection.makefile("rb")
        for kind in ("subscribe", "ssubscribe") if sharded_too else ("subscribe",):
            self.connection.sendall(encode_command(kind.upper(), channel))
            confirmation = read_reply(self.reader)
            if confirmation[:2] != [kind, channel]:
                raise OSError(f"unexpected {kind.upper()} answer {confirmation!r}")

    def next_message(self, timeout=5):
        """The next message published on the channel; fails after timeout seconds."""
        self.connection.settimeout(timeout)
        try:
            kind, channel, payload = read_reply(self.reader)
        except socket.timeout:
            raise AssertionError(f"nothing published on {self.channel} within {timeout}s") from None
        if kind not in ("message", "smessage") or channel != self.channel:
            raise OSError(f"unexpected push {kind!r} on {channel!r}")
        return payload


class EventStream(_LiveConnection):
    """A live GET /console/events (Server-Sent Events) of a loan-processor, over its own connection."""

    def __init__(self, base_url, timeout=5):
        host, port = base_url.split("//", 1)[1].split(":")
        self.connection = socket.create_connection((host, int(port)), timeout=timeout)
        self.connection.sendall(f"GET /console/events HTTP/1.1\r\nHost: {host}\r\n"
                                "Accept: text/event-stream\r\n\r\n".encode())
        self.reader = self.connection.makefile("rb")
        status_line = self.reader.readline().decode()
        self.status = int(status_line.split()[1])
        self.headers = {}
        while True:
            line = self.reader.readline().decode().strip()
            if not line:
                break
            name, value = line.split(":", 1)
            self.headers[name.strip().lower()] = value.strip()
        self.pending = b""

    def _read_chunk(self):
        """One chunk of the chunked body; b"" at its end."""
        size = int(self.reader.readline().split(b";")[0], 16)
        data = self.reader.read(size + 2)[:-2] if size else b""
        if size == 0:
            self.reader.readline()
        return data

    def next_block(self, timeout=5):
        """The next event block (the lines before a blank line), as a list of lines; None when the stream ended."""
        self.connection.settimeout(timeout)
        while b"\n\n" not in self.pending:
            try:
                chunk = self._read_chunk()
            except socket.timeout:
                raise AssertionError(f"no server-sent event within {timeout}s") from None
            if not chunk:
                return None
            self.pending += chunk
        block, self.pending = self.pending.split(b"\n\n", 1)
        return block.decode().split("\n")

    def next_event(self, timeout=5):
        """The next event as (name, parsed data), skipping comments and retry lines; None when the stream ended."""
        deadline = time.monotonic() + timeout
        while True:
            block = self.next_block(max(0.01, deadline - time.monotonic()))
            if block is None:
                return None
            fields = {}
            for line in block:
                if line.startswith(":") or ":" not in line:
                    continue
                name, value = line.split(":", 1)
                fields[name] = value[1:] if value.startswith(" ") else value
            if "data" in fields:
                return fields.get("event", "message"), json.loads(fields["data"])


class Redis:
    """A private redis-server and a minimal RESP client for assertions.

    As a cluster node (cluster_node=True, see Cluster) its nodes.conf lives in its directory, so a restart keeps
    its place in the cluster.
    """

    def __init__(self, port=None, directory=None, cluster_node=False, node_timeout_ms=None):
        self.address = "127.0.0.1"   # a test may move it (another loopback address) between stop() and start()
        self.port = port or free_port()
        self.directory = directory or tempfile.mkdtemp(prefix="e2e-redis-")
        self.process = None
        self.cluster = cluster_node
        self.node_timeout_ms = node_timeout_ms or CLUSTER_NODE_TIMEOUT_MS
        self.cluster_port = free_port() if self.cluster else None  # the cluster bus (by default port + 10000)

    def start(self, appendonly=True):
        return self.launch(appendonly).wait_ready()

    def launch(self, appendonly=True):
        """Starts redis-server without waiting for it (see wait_ready)."""
        self.appendonly = appendonly
        arguments = ["redis-server", "--port", str(self.port), "--bind", self.address, "--dir", self.directory,
                     "--save", "", "--appendonly", "yes" if appendonly else "no", "--appendfsync", "everysec"]
        if self.cluster:
            # A replica syncs at once (the default waits 5 s for more replicas before a diskless transfer).
            arguments += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                          "--cluster-port", str(self.cluster_port), "--cluster-node-timeout", str(self.node_timeout_ms),
                          "--repl-diskless-sync-delay", "0"]
        self.process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def wait_ready(self, may_move=False):
        """Waits until the launched server answers PING.

        With may_move (a first start: nobody knows its URL yet), a server that exited at once - another
        process took one of its free ports between free_port() and its bind - is launched again on new ports.
        Without it (a restart: clients know the URL), it is launched again on the same ports a few times, since
        another suite's free_port() probe may hold one of them for a moment while the server was down.
        """
        for attempt in range(5):
            wait_until(lambda: self._answers_ping() or self.process.poll() is not None, 10,
                       what=f"redis-server on port {self.port}")
            if self.process.poll() is None or (not may_move and attempt == 4):
                break
            if may_move:
                self.port = free_port()
                self.cluster_port = free_port() if self.cluster else None
            else:
                time.sleep(0.3)
            self.launch(self.appendonly)
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server on port {self.port} exited at start (status {self.process.poll()})")
        return self

    def claim_slots_if_up(self):
        """Nothing to do (kept for the tests written for the one-node cluster: a Cluster's start() waits)."""

    def cluster_info(self):
        """CLUSTER INFO as a dict of strings."""
        lines = self.command("CLUSTER", "INFO").splitlines()
        return dict(line.split(":", 1) for line in lines if ":" in line)

    def node_id(self):
        """This cluster node's id (CLUSTER MYID)."""
        return self.command("CLUSTER", "MYID")

    def key_slot(self, key):
        """The key's hash slot: Redis's own answer on a cluster node, else key_slot() computed here."""
        return self.command("CLUSTER", "KEYSLOT", key) if self.cluster else key_slot(key)

    def _answers_ping(self):
        try:
            return self.command("PING") == "PONG"
        except (OSError, RuntimeError):  # RuntimeError: "LOADING" while it reads its append-only file back
            return False

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, kill=False):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None

    def cleanup(self):
        self.stop(kill=True)
        shutil.rmtree(self.directory, ignore_errors=True)

    @property
    def url(self):
        return f"redis://{self.address}:{self.port}"

    @property
    def endpoint(self):
        """host:port, as redis-cli --cluster takes it."""
        return f"{self.address}:{self.port}"

    def command(self, *arguments):
        return self.pipeline(arguments)[-1]

    def pipeline(self, *commands):
        """Sends several commands (tuples of arguments) on one connection; returns their replies (an error reply
        raises RuntimeError)."""
        with socket.create_connection((self.address, self.port), timeout=5) as connection:
            connection.sendall(b"".join(encode_command(*arguments) for arguments in commands))
            reader = connection.makefile("rb")
            return [read_reply(reader) for _ in commands]

    def subscribe(self, channel, sharded_too=False):
        """A live subscription to channel (use it in a with block)."""
        return Subscription(self.address, self.port, channel, sharded_too)


CLUSTER_NODE_TIMEOUT_MS = 1000   # how long before a silent node counts as failed: a failover takes about 1.5 s
CLUSTER_SLOTS = 16384
# Commands without a key whose answer depends on the node that answers; how Cluster.command() spreads each.
_ON_EVERY_MASTER = {"FLUSHALL", "FLUSHDB"}
_ON_EVERY_NODE = {"SCRIPT", "CONFIG"}


def _parse_cluster_nodes(text):
    """CLUSTER NODES as a list of dicts: id, port, flags (a set), master (an id or None), slots ([(first, last)])."""
    nodes = []
    for line in text.splitlines():
        fields = line.split()
        address = fields[1].split(",")[0].split("@")[0]
        slots = []
        for part in fields[8:]:
            if part.startswith("["):
                continue   # a slot being migrated or imported
            first, _, last = part.partition("-")
            slots.append((int(first), int(last or first)))
        nodes.append({"id": fields[0], "port": int(address.rsplit(":", 1)[1]), "flags": set(fields[2].split(",")),
                      "master": None if fields[3] == "-" else fields[3], "slots": slots})
    return nodes


class _NodeProcesses:
    """The processes of a cluster's running nodes, signalled together (what a test does to 'the Redis process')."""

    def __init__(self, nodes):
        self.processes = [node.process for node in nodes if node.running()]

    def poll(self):
        return None if any(process.poll() is None for process in self.processes) else 0

    def send_signal(self, number):
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(number)


class Cluster:
    """A Redis Cluster of private redis-servers on loopback ports: `masters` masters, each with `replicas` replicas,
    and a RESP client that routes each command to the node serving its key's slot (MOVED and ASK followed).

    It offers what the tests use on Redis (url, command(), subscribe(), stop()/start(), process, key_slot(),
    cluster_info(), port, directory, cleanup()) and what fault tests need (nodes, masters(), replicas(),
    master_of(), kill_master(), wait_until_served(), reshard(), add_node(), rebalance()).

    A test that did nothing to the cluster but send commands leaves it reusable: cleanup() then empties it
    (FLUSHALL on every master, replicated before it returns, SCRIPT FLUSH and the CONFIG SET values restored on every
    node) and hands it to the next test; any other use (stop, signals, kills, slots moved, nodes added) marks it used
    up, and cleanup() destroys it (see fresh_redis()).
    """

    def __init__(self, masters=3, replicas=1, node_timeout_ms=CLUSTER_NODE_TIMEOUT_MS):
        self.directory = tempfile.mkdtemp(prefix="e2e-cluster-")
        self.address = "127.0.0.1"
        self.node_timeout_ms = node_timeout_ms
        self.master_count = masters
        self.nodes = [self._new_node() for _ in range(masters * (1 + replicas))]
        self.seeds = self.nodes[:masters]
        self.used_up = False        # a test did more than commands: not reusable
        self._slot_map = []         # [(first slot, last slot, node)] as CLUSTER SLOTS last said
        self._saved_config = {}     # (node port, parameter) -> value before the test's first CONFIG SET
        self._tools = []            # redis-cli --cluster processes started by reshard() and rebalance()
        self.cluster = True
        _all_clusters.append(self)

    def _new_node(self):
        directory = tempfile.mkdtemp(prefix="node-", dir=self.directory)
        return Redis(directory=directory, cluster_node=True, node_timeout_ms=self.node_timeout_ms)

    # ---- creation ----

    def launch(self, appendonly=True):
        """Starts the redis-servers without waiting for them (see wait_ready)."""
        for node in self.nodes:
            node.launch(appendonly)
        return self

    def wait_ready(self, may_move=True):
        """Waits for the launched servers, makes them a cluster (first the masters with the slots split evenly, then
        one replica of each in turn) and waits until it serves every slot and every replica is in sync."""
        for node in self.nodes:
            node.wait_ready(may_move=may_move)
        masters, replicas = self.nodes[:self.master_count], self.nodes[self.master_count:]
        for epoch, node in enumerate(self.nodes, 1):
            node.command("CLUSTER", "SET-CONFIG-EPOCH", epoch)
        for index, master in enumerate(masters):
            first = index * CLUSTER_SLOTS // len(masters)
            master.command("CLUSTER", "ADDSLOTSRANGE", first, (index + 1) * CLUSTER_SLOTS // len(masters) - 1)
        meet_point = self.nodes[0]
        for node in self.nodes[1:]:
            node.command("CLUSTER", "MEET", meet_point.address, meet_point.port, meet_point.cluster_port)
        wait_until(lambda: all(self._knows_every_node(node) for node in self.nodes), 10,
                   what="the cluster nodes to know each other")
        for index, replica in enumerate(replicas):
            replica.command("CLUSTER", "REPLICATE", masters[index % len(masters)].node_id())
        return self.wait_until_served()

    def _knows_every_node(self, node):
        known = _parse_cluster_nodes(node.command("CLUSTER", "NODES"))
        return len(known) == len(self.nodes) and not any({"handshake", "noaddr"} & entry["flags"] for entry in known)

    def wait_until_served(self, timeout=20):
        """Waits until every running node says cluster_state:ok with all slots served, every running replica is in
        sync with its master and all running nodes agree on who serves which slot (after a failover, a reshard, a
        restart); refreshes the slot map. Returns the cluster."""
        def served():
            try:
                running = [node for node in self.nodes if node.running()]
                if not running:
                    return False
                for node in running:
                    info = node.cluster_info()
                    if info["cluster_state"] != "ok" or info["cluster_slots_ok"] != str(CLUSTER_SLOTS):
                        return False
                views = {json.dumps(sorted((first, last, master[1]) for first, last, master, *_
                                           in node.command("CLUSTER", "SLOTS"))) for node in running}
                if len(views) != 1:
                    return False
                return all("master_link_status:up" in node.command("INFO", "replication")
                           for node in self.replicas() if node.running())
            except (OSError, RuntimeError):
                return False
        wait_until(served, timeout, 0.05, what="the cluster to serve every slot")
        self._refresh_slot_map()
        return self

    # ---- the layout ----

    def _node_at(self, port):
        return next((node for node in self.nodes if node.port == port), None)

    def _any_running_node(self):
        return next(node for node in self.nodes if node.running())

    def layout(self):
        """CLUSTER NODES as a running node sees it: a list of dicts (id, port, flags, master, slots, node: the Redis
        object or None)."""
        entries = _parse_cluster_nodes(self._any_running_node().command("CLUSTER", "NODES"))
        for entry in entries:
            entry["node"] = self._node_at(entry["port"])
        return entries

    def masters(self):
        """The running nodes that serve slots, by first slot."""
        entries = [entry for entry in self.layout() if "master" in entry["flags"] and entry["slots"]
                   and "fail" not in entry["flags"] and entry["node"] and entry["node"].running()]
        return [entry["node"] for entry in sorted(entries, key=lambda entry: entry["slots"][0])]

    def replicas(self):
        """The nodes the cluster knows as replicas."""
        return [entry["node"] for entry in self.layout() if "slave" in entry["flags"] and entry["node"]]

    def master_of(self, key):
        """The node serving key's slot now."""
        self._refresh_slot_map()
        return self._owner(key_slot(key))

    def key_slot(self, key):
        """The key's hash slot, as Redis computes it (CLUSTER KEYSLOT)."""
        return self._any_running_node().command("CLUSTER", "KEYSLOT", key)

    def cluster_info(self, node=None):
        """CLUSTER INFO of node (by default the first running one) as a dict of strings."""
        return (node or self._any_running_node()).cluster_info()

    def _refresh_slot_map(self):
        for node in self.nodes:
            if not node.running():
                continue
            try:
                slots = node.command("CLUSTER", "SLOTS")
            except (OSError, RuntimeError):
                continue
            self._slot_map = [(first, last, self._node_at(int(master[1]))) for first, last, master, *_ in slots]
            return

    def _owner(self, slot):
        return next((node for first, last, node in self._slot_map if first <= slot <= last), None)

    # ---- commands ----

    def command(self, *arguments):
        """One command: a keyed one on the master serving its first key's slot (following MOVED and ASK, and
        retrying for up to 10 s while the cluster is down or a node does not answer); a keyless one where its
        answer makes sense: KEYS, SCAN (one full pass, cursor 0) and DBSIZE over every master, FLUSHALL on every
        master, SCRIPT and CONFIG SET on every node, CLIENT LIST and PUBSUB NUMSUB over every node (NUMSUB counting
        sharded subscribers too), INFO of every master one after the other, anything else on one master."""
        name = str(arguments[0]).upper()
        key = self._first_key(name, arguments)
        if key is not None:
            return self._routed(key_slot(key), arguments)
        masters = self.masters()
        if name == "KEYS":
            return [key for node in masters for key in node.command(*arguments)]
        if name == "SCAN":
            return ["0", [key for node in masters for key in self._scan_node(node, arguments[2:])]]
        if name == "DBSIZE":
            return sum(node.command(*arguments) for node in masters)
        if name == "INFO":
            return "".join(f"# node {node.endpoint}\r\n{node.command(*arguments)}" for node in masters)
        subcommand = str(arguments[1]).upper() if len(arguments) > 1 else ""
        if name == "CONFIG" and subcommand == "SET":
            self._save_config(arguments[2::2])
        if name in _ON_EVERY_MASTER or name in _ON_EVERY_NODE and subcommand in ("SET", "FLUSH", "LOAD", "RESETSTAT"):
            nodes = masters if name in _ON_EVERY_MASTER else [node for node in self.nodes if node.running()]
            return [node.command(*arguments) for node in nodes][0]
        if name == "CLIENT" and subcommand == "LIST":
            return "".join(node.command(*arguments) for node in self.nodes if node.running())
        if name == "PUBSUB" and subcommand == "NUMSUB":
            return self._numsub(arguments[2:])
        return masters[0].command(*arguments)

    @staticmethod
    def _first_key(name, arguments):
        if name in ("EVAL", "EVALSHA", "EVAL_RO", "EVALSHA_RO", "FCALL", "FCALL_RO"):
            return arguments[3] if int(arguments[2]) > 0 else None
        if name in ("PING", "INFO", "CONFIG", "FLUSHALL", "FLUSHDB", "SCRIPT", "DBSIZE", "KEYS", "SCAN", "CLIENT",
                    "PUBSUB", "TIME", "CLUSTER", "WAIT", "PUBLISH", "FUNCTION", "MEMORY", "DEBUG", "LASTSAVE") \
                or len(arguments) < 2:
            return None
        return arguments[1]

    def _routed(self, slot, arguments, timeout=10):
        deadline = time.monotonic() + timeout
        node, asking = self._owner(slot), False
        while True:
            try:
                if node is None:
                    raise RuntimeError("CLUSTERDOWN no known node serves the slot")
                if asking:
                    return node.pipeline(("ASKING",), arguments)[-1]
                return node.command(*arguments)
            except RuntimeError as error:
                words = str(error).split()
                if words[0] in ("MOVED", "ASK"):
                    node, asking = self._node_at(int(words[2].rsplit(":", 1)[1])), words[0] == "ASK"
                    if words[0] == "MOVED":
                        self._refresh_slot_map()
                    continue
                if words[0] not in ("CLUSTERDOWN", "TRYAGAIN") or time.monotonic() > deadline:
                    raise
            except OSError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)
            self._refresh_slot_map()
            node, asking = self._owner(slot), False

    @staticmethod
    def _scan_node(node, options):
        cursor, keys = "0", []
        while True:
            cursor, batch = node.command("SCAN", cursor, *options)
            keys += batch
            if cursor == "0":
                return keys

    def _numsub(self, channels):
        running = [node for node in self.nodes if node.running()]
        counts = {channel: 0 for channel in channels}
        for node in running:
            for kind in ("NUMSUB", "SHARDNUMSUB"):
                reply = node.command("PUBSUB", kind, *channels)
                for channel, count in zip(reply[0::2], reply[1::2]):
                    counts[channel] += count
        return [item for channel in channels for item in (channel, counts[channel])]

    def _save_config(self, parameters):
        for node in self.nodes:
            if node.running():
                for parameter in parameters:
                    if (node.port, parameter) not in self._saved_config:
                        self._saved_config[(node.port, parameter)] = node.command("CONFIG", "GET", parameter)[1]

    def claim_slots_if_up(self):
        """Nothing to do (kept for the tests written for the one-node cluster: start() waits)."""

    def subscribe(self, channel):
        """A live subscription to channel on the master serving its slot: SUBSCRIBE and SSUBSCRIBE, so that it
        sees what PUBLISH (sent to any node) and SPUBLISH send."""
        node = self._owner(key_slot(channel)) or self.masters()[0]
        return node.subscribe(channel, sharded_too=True)

    # ---- faults ----

    @property
    def port(self):
        """The first seed node's port."""
        return self.seeds[0].port

    @property
    def url(self):
        """The multi-seed URL of the nodes that were the masters at creation."""
        return "redis://" + ",".join(node.endpoint for node in self.seeds)

    @property
    def process(self):
        """The running nodes' processes, signalled together (SIGSTOP hangs the whole cluster)."""
        self.used_up = True
        return _NodeProcesses(self.nodes)

    def stop(self, kill=False):
        """Stops every node at once (SIGTERM, or SIGKILL with kill)."""
        self.used_up = True
        running = [node for node in self.nodes if node.running()]
        for node in running:
            node.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        for node in running:
            node.stop()

    def start(self, appendonly=True):
        """Starts the stopped nodes again on their ports (each keeps its nodes.conf and data) and waits until the
        cluster serves every slot (a restarted master turns writable 2 s after it started)."""
        self.used_up = True
        stopped = [node for node in self.nodes if not node.running()]
        for node in stopped:
            node.launch(appendonly)
        for node in stopped:
            node.wait_ready()
        return self.wait_until_served()

    def kill_master(self, which=0):
        """SIGKILLs a master (an index into masters() or a node); returns the node. Its replica takes over after
        about the node timeout: see wait_until_served()."""
        self.used_up = True
        node = self.masters()[which] if isinstance(which, int) else which
        node.stop(kill=True)
        return node

    def _cli(self, *arguments):
        """Starts redis-cli --cluster with arguments; its output goes to a log in the cluster's directory."""
        log_path = os.path.join(self.directory, f"redis-cli-{len(self._tools)}.log")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(["redis-cli", "--cluster", *arguments], stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        process.log_path = log_path
        self._tools.append(process)
        return process

    def reshard(self, source, target, slots):
        """Starts moving slots slots (redis-cli --cluster reshard) from master source to master target (nodes or
        indexes into masters()); returns its Popen (log_path: its output) without waiting."""
        self.used_up = True
        masters = self.masters()
        source, target = (masters[node] if isinstance(node, int) else node for node in (source, target))
        return self._cli("reshard", source.endpoint, "--cluster-from", source.node_id(), "--cluster-to",
                         target.node_id(), "--cluster-slots", str(slots), "--cluster-yes")

    def add_node(self):
        """Starts a new empty master, joins it (redis-cli --cluster add-node) and waits until every node knows it
        and it says cluster_state:ok; returns it."""
        self.used_up = True
        node = self._new_node().launch().wait_ready(may_move=True)
        self.nodes.append(node)
        joined = self._cli("add-node", node.endpoint, self._any_running_node().endpoint)
        if joined.wait(30) != 0:
            with open(joined.log_path, errors="replace") as log:
                raise AssertionError(f"redis-cli --cluster add-node failed:\n{log.read()}")
        wait_until(lambda: all(self._knows_every_node(other) for other in self.nodes if other.running()), 10,
                   what="every node to know the added one")
        self.wait_until_served()   # a new master turns writable (and can take slots) 2 s after it started
        return node

    def rebalance(self):
        """Starts spreading the slots evenly over the masters, empty ones included (redis-cli --cluster
        rebalance --cluster-use-empty-masters); returns its Popen without waiting."""
        self.used_up = True
        return self._cli("rebalance", self.masters()[0].endpoint, "--cluster-use-empty-masters")

    # ---- after a test ----

    def cleanup(self):
        """After a test: hands the cluster to the next test if it is reusable (see the class), else destroys it."""
        _cluster_pool.give_back(self)

    def reset(self):
        """Empties a reusable cluster (see the class); False when it is not reusable."""
        if self.used_up or any(not node.running() for node in self.nodes):
            return False
        try:
            for (port, parameter), value in self._saved_config.items():
                self._node_at(port).command("CONFIG", "SET", parameter, value)
            self._saved_config.clear()
            for node in self.nodes:
                node.command("SCRIPT", "FLUSH")
            for master in self.masters():
                replicas = sum(1 for entry in self.layout() if entry["master"] == master.node_id())
                if master.pipeline(("FLUSHALL",), ("WAIT", replicas, 5000))[-1] < replicas:
                    return False
            self.wait_until_served(5)
            return True
        except (OSError, RuntimeError, AssertionError):
            return False

    def destroy(self):
        """Stops every node (SIGKILL) and the redis-cli tools, removes the files."""
        for tool in self._tools:
            if tool.poll() is None:
                tool.kill()
                tool.wait()
        for node in self.nodes:
            node.stop(kill=True)
        shutil.rmtree(self.directory, ignore_errors=True)
        if self in _all_clusters:
            _all_clusters.remove(self)


class _ClusterPool:
    """Clusters for the tests of one suite process. A test gets the cluster the previous test left reusable, else
    the spare one built in the background (started once a first cluster was used up, since such a suite likely
    uses up more), else one built now."""

    def __init__(self):
        self.idle = []
        self.spare = None          # (thread, [cluster]) while a spare is built
        self.used_up_once = False

    def _build_spare(self):
        result = []
        thread = threading.Thread(target=lambda: result.append(Cluster().launch().wait_ready()), daemon=True)
        thread.start()
        self.spare = (thread, result)

    def _take_spare(self):
        thread, result = self.spare
        self.spare = None
        thread.join()
        return result[0] if result else None

    def take(self):
        cluster = self.idle.pop() if self.idle else None
        if cluster is None and self.spare:
            cluster = self._take_spare()
        if cluster is None:
            cluster = Cluster().launch().wait_ready()
        if self.used_up_once and not self.spare:
            self._build_spare()
        return cluster

    def give_back(self, cluster):
        if cluster.reset():
            self.idle.append(cluster)
            return
        cluster.destroy()
        self.used_up_once = True
        if not self.spare:
            self._build_spare()

    def close(self, wait_s=60):
        """Destroys every cluster, the spare being built included (after waiting up to wait_s for it)."""
        if self.spare:
            self.spare[0].join(wait_s)
        for cluster in list(_all_clusters):
            cluster.destroy()


_all_clusters = []
_cluster_pool = _ClusterPool()
atexit.register(_cluster_pool.close)


def _exit_on_sigterm(*_):
    """A SIGTERM (e.g. meson's timeout) leaves no redis-server behind. (sys.exit() would not do: unittest records
    the SystemExit as the running test's error and goes on.)"""
    _cluster_pool.close(wait_s=5)
    os._exit(128 + signal.SIGTERM)


if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def fresh_redis():
    """A started Redis of its own for one test; with E2E_REDIS_CLUSTER=1 a six-node Cluster (see _ClusterPool)."""
    if not REDIS_CLUSTER:
        return Redis().launch().wait_ready(may_move=True)
    return _cluster_pool.take()


def with_hosts_file(path):
    """A command prefix that runs a server in a mount namespace of its own, where /etc/hosts is the file at path.

    The file is bind-mounted, so rewriting it in place (open(path, "w")) changes what the server's lookups find:
    a host name can move to another address while the server runs. Needs root; see can_replace_hosts_file().
    """
    return ["unshare", "--mount", "--", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', path]


def can_replace_hosts_file():
    """Whether with_hosts_file() works here (root, unshare and mount namespaces)."""
    try:
        return subprocess.run(with_hosts_file("/etc/hosts") + ["true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


class ServerDidNotStart(AssertionError):
    """A server process that exited before it was up; address_in_use when its port was taken meanwhile."""

    def __init__(self, name, status, logs):
        super().__init__(f"{name} exited with status {status} before it was up:\n{logs[-2000:]}")
        self.address_in_use = "address already in use" in logs.lower()   # strerror(EADDRINUSE) in the log


class Server:
    """One of the project's servers, started as a real process."""

    def __init__(self, binary, port, environment, name, command_prefix=None):
        self.binary = binary
        self.command_prefix = command_prefix or []  # e.g. with_hosts_file(): runs the binary through another program
        self.port = port
        self.environment = environment
        self.name = name
        self.process = None
        self.log_path = tempfile.mktemp(prefix=f"e2e-{name}-", suffix=".log")

    def start(self, wait_healthy=True):
        environment = dict(os.environ)
        environment.update(self.environment)
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command_prefix + [self.binary], env=environment, stdout=self.log,
                                        stderr=self.log)
        up, what = (self.healthy, "/health") if wait_healthy else (self.listening, "listening")
        wait_until(lambda: self.exited_early() or up(), 10, what=f"{self.name} {what}")
        return self

    def exited_early(self):
        """False while the process runs; raises ServerDidNotStart once it has exited."""
        if self.process.poll() is None:
            return False
        status = self.stop()
        raise ServerDidNotStart(self.name, status, self.logs())

    def listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def healthy(self):
        try:
            status, _ = request("GET", f"{self.base_url}/health")
            return status == 200
        except OSError:
            return False

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def logs(self):
        try:
            with open(self.log_path, "r", errors="replace") as log:
                return log.read()
        except FileNotFoundError:  # never started
            return ""

    def stop(self, kill=False):
        """Stops the process; a SIGTERM must end in exit status 0 within 15 s."""
        if not self.process:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise AssertionError(f"{self.name} did not exit within 15 s of SIGTERM")
        status = self.process.returncode
        self.process = None
        self.log.close()
        return status

    def check_clean_exit(self, status):
        text = self.logs()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                raise AssertionError(f"{self.name} reported a sanitizer error:\n{text[-4000:]}")
        if status not in (0, None):
            raise AssertionError(f"{self.name} exited with status {status}:\n{text[-2000:]}")


# Every request() since the current test began, as (seconds it took, method, url); see StackTestCase.
_request_log = []
_request_log_lock = threading.Lock()


def request(method, url, body=None, headers=None, timeout=10):
    """Sends an HTTP request; returns (status, body text). Never raises for HTTP errors."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    prepared = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and "Content-Type" not in (headers or {}):
        prepared.add_header("Content-Type", "application/json")
    started = time.monotonic()
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    finally:
        with _request_log_lock:
            _request_log.append((time.monotonic() - started, method, url))


def send_oversized(url, length, headers=None):
    """Announces a body of length bytes and sends only its start; returns (status, body) of the answer."""
    host_port = url.split("//", 1)[1].split("/", 1)
    host, port = host_port[0].split(":")
    path = "/" + (host_port[1] if len(host_port) > 1 else "")
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {length}",
             "Content-Type: application/json"] + [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b"x" * 1024)
        reply = b""
        while b"\r\n\r\n" not in reply or len(reply) < reply.find(b"\r\n\r\n") + 4 + 10:
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body.decode(errors="replace")


class _ReceiverServer(http.server.ThreadingHTTPServer):
    """The HTTP server under both receivers (a thread per connection)."""

    request_queue_size = 512  # the default backlog of 5 drops SYNs of simultaneous callbacks: 1 s retransmits

    def handle_error(self, request, client_address):
        pass  # a client that went away (a killed server) while its request was held


class QuietJsonHandler(http.server.BaseHTTPRequestHandler):
    """A request handler for the test receivers: answers with JSON and logs nothing."""

    def reply_json(self, status, data):
        """Sends status with data (bytes of JSON); a caller that went away meanwhile is ignored."""
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass

    def log_message(self, *arguments):
        pass


class Receiver:
    """Serves handler on 127.0.0.1:port (0: a free port) until close()."""

    def _serve(self, handler, port=0):
        self.server = _ReceiverServer(("127.0.0.1", port), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class CallbackReceiver(Receiver):
    """A plain HTTP server that records POSTs and answers with a chosen status.

    on_receive(path, body), if given, runs as each POST arrives, before the answer.
    """

    def __init__(self, status=200, on_receive=None):
        self.status = status
        self.received = []
        receiver = self

        class Handler(QuietJsonHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                if on_receive:
                    on_receive(self.path, body)
                receiver.received.append((self.path, body, time.monotonic()))
                self.reply_json(receiver.status, b'{"ok":true}')

        self._serve(Handler)


class StackTestCase(unittest.TestCase):
    """Starts Redis and, on request, the two servers; stops everything after each test."""

    TIME_SCALE = "0.05"   # the six-second story in 0.3 s
    # A suite that sets this checks after each test that every request() the test made was answered within the
    # Redis deadline of the servers it started (REDIS_TIMEOUT_MS) plus this many seconds: whatever the fault, no
    # request hangs. None: not checked (suites with long polls and streams).
    REQUEST_DEADLINE_MARGIN_S = None

    def setUp(self):
        self.redis = fresh_redis()
        self.servers = []
        self.started_servers = []  # every server this test started, for the logs shown when it fails
        with _request_log_lock:
            _request_log.clear()

    def assert_epoch_seconds_of_now(self, value):
        """value is a date as the AWS JSON protocol sends it: epoch seconds (a JSON number; whole seconds may come
        without a fraction) within a minute of now."""
        self.assertIsInstance(value, (int, float))
        self.assertAlmostEqual(time.time(), value, delta=60)

    def request_deadline_s(self):
        """How long any request of this test may take: its servers' longest Redis deadline plus the margin."""
        timeouts = [int(server.environment.get("REDIS_TIMEOUT_MS", DEFAULT_REDIS_TIMEOUT_MS))
                    for server in self.started_servers]
        return max(timeouts, default=DEFAULT_REDIS_TIMEOUT_MS) / 1000 + (self.REQUEST_DEADLINE_MARGIN_S or 0)

    def assert_requests_answered_in_time(self):
        """Fails if any request() made so far in this test took longer than request_deadline_s()."""
        deadline = self.request_deadline_s()
        with _request_log_lock:
            slow = sorted(entry for entry in _request_log if entry[0] > deadline)
            count = len(_request_log)
        self.assertEqual([], [f"{method} {url} took {seconds:.2f} s" for seconds, method, url in slow[-5:]],
                         f"{len(slow)} of {count} requests outlasted the {deadline:.1f} s deadline")

    def tearDown(self):
        failures = []
        for server in self.servers:
            try:
                server.check_clean_exit(server.stop())
            except AssertionError as error:
                failures.append(str(error))
        self.redis.cleanup()
        if self.REQUEST_DEADLINE_MARGIN_S is not None:
            try:
                self.assert_requests_answered_in_time()
            except AssertionError as error:
                failures.append(str(error))
        if failures:
            raise AssertionError("\n".join(failures))

    def start_server(self, make, port, wait_healthy):
        """Starts make(port); a port found free (port None) that another process took meanwhile is chosen again."""
        for attempt in range(3):
            server = make(port or free_port())
            self.started_servers.append(server)
            try:
                self.servers.append(server.start(wait_healthy))
                return server
            except ServerDidNotStart as error:
                if port or not error.address_in_use or attempt == 2:
                    raise

    def start_valuation_service(self, port=None, wait_healthy=True, command_prefix=None, **environment):
        """Starts a valuation-service on this test's Redis; waits for /health 200 (or only for its port)."""
        def make(port):
            settings = {"VALUATION_SERVICE_PORT": str(port), "REDIS_URL": self.redis.url,
                        "TIME_SCALE": self.TIME_SCALE}
            settings.update(environment)
            return Server(VALUATION_SERVICE, port, settings, "valuation-service", command_prefix)
        return self.start_server(make, port, wait_healthy)

    def state_machines_dir(self, extra_state_machines):
        """The shipped definitions plus extra ones ({name: ASL dict}) in a temporary directory."""
        if not extra_state_machines:
            return STATE_MACHINES_DIR
        directory = tempfile.mkdtemp(prefix="e2e-state-machines-")
        self.addCleanup(shutil.rmtree, directory, True)
        for name in os.listdir(STATE_MACHINES_DIR):
            shutil.copy(os.path.join(STATE_MACHINES_DIR, name), directory)
        for name, definition in extra_state_machines.items():
            with open(os.path.join(directory, f"{name}.asl.json"), "w") as file:
                json.dump(definition, file)
        return directory

    def start_loan_processor(self, port=None, valuation_port=None, extra_state_machines=None, wait_healthy=True,
                             command_prefix=None, **environment):
        """Starts a loan-processor on this test's Redis; waits for /health 200 (or only for its port)."""
        state_machines_dir = self.state_machines_dir(extra_state_machines)
        valuation_url = f"http://127.0.0.1:{valuation_port or free_port()}/valuation-request"

        def make(port):
            settings = {
                "LOAN_PROCESSOR_PORT": str(port),
                "REDIS_URL": self.redis.url,
                "TIME_SCALE": self.TIME_SCALE,
                "STATE_MACHINES_DIR": state_machines_dir,
                "VALUATION_SERVICE_URL": valuation_url,
                "CALLBACK_URL": f"http://127.0.0.1:{port}/valuation-callback",
            }
            settings.update(environment)
            return Server(LOAN_PROCESSOR, port, settings, "loan-processor", command_prefix)
        return self.start_server(make, port, wait_healthy)

    def start_stack(self, extra_state_machines=None, **environment):
        valuation = self.start_valuation_service(**environment)
        loan = self.start_loan_processor(valuation_port=valuation.port, extra_state_machines=extra_state_machines,
                                         **environment)
        return loan, valuation

    def topic_messages(self, topic=ERROR_TOPIC):
        """The local SNS topic's record (its Redis stream), oldest first: one dict of fields per message."""
        entries = self.redis.command("XRANGE", f"sns:{topic}", "-", "+") or []
        messages = []
        for entry_id, fields in entries:
            message = dict(zip(fields[0::2], fields[1::2]))
            message["id"] = entry_id
            messages.append(message)
        return messages

    def topic_descriptions(self, topic=ERROR_TOPIC):
        """The 'description' of each JSON message on the topic, oldest first."""
        descriptions = []
        for message in self.topic_messages(topic):
            try:
                descriptions.append(json.loads(message["Message"]).get("description"))
            except (KeyError, ValueError, AttributeError):
                descriptions.append(None)
        return descriptions

    def sfn(self, server, operation, body):
        """Calls the Step Functions API; returns (status, parsed JSON body or None)."""
        status, text = request("POST", f"{server.base_url}/", body,
                               {"Content-Type": "application/x-amz-json-1.0",
                                "X-Amz-Target": f"AWSStepFunctions.{operation}"})
        return status, json.loads(text) if text else None

    def start_execution(self, server, application=None, name=None, state_machine_arn=LOAN_MACHINE_ARN):
        body = {"stateMachineArn": state_machine_arn, "input": json.dumps(application or SAMPLE_APPLICATION)}
        if name:
            body["name"] = name
        status, response = self.sfn(server, "StartExecution", body)
        self.assertEqual(200, status, response)
        return response["executionArn"]

    def describe(self, server, execution_arn):
        status, response = self.sfn(server, "DescribeExecution", {"executionArn": execution_arn})
        self.assertEqual(200, status, response)
        return response

    def wait_for_status(self, server, execution_arn, wanted, timeout=10):
        def reached():
            description = self.describe(server, execution_arn)
            return description if description["status"] == wanted else None
        return wait_until(reached, timeout, what=f"{execution_arn} to be {wanted}")

    def history(self, server, execution_arn, **options):
        status, response = self.sfn(server, "GetExecutionHistory", dict(executionArn=execution_arn, **options))
        self.assertEqual(200, status, response)
        return response["events"]

    def all_events(self, server, execution_arn):
        """Every event of the execution's history, page after page (1,000 a page)."""
        events, options = [], {"maxResults": 1000}
        while True:
            status, page = self.sfn(server, "GetExecutionHistory", dict(executionArn=execution_arn, **options))
            self.assertEqual(200, status, page)
            events += page["events"]
            if not page.get("nextToken"):
                return events
            options["nextToken"] = page["nextToken"]

    def assert_aws_error(self, status_and_body, code, message=None, status=400):
        actual_status, body = status_and_body
        self.assertEqual(status, actual_status, body)
        self.assertEqual(code, body["__type"].split("#")[-1], body)
        if message is not None:
            self.assertEqual(message, body["message"])


class TapResult(unittest.TestResult):
    """Prints one TAP line per test case.

    A failure's traceback follows its line as TAP comments and also goes to stderr, with the end of the log of
    each server the test started, so that `meson test --print-errorlogs` (and CI) shows why it failed.
    """

    def __init__(self):
        super().__init__()
        self.number = 0

    def _line(self, test, ok, detail=None, directive=""):
        self.number += 1
        print(f"{'ok' if ok else 'not ok'} {self.number} - {test.id().split('.', 1)[-1]}{directive}", flush=True)
        if detail:
            for line in detail.rstrip().splitlines():
                print(f"# {line}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(test, True)

    def _failed(self, test, error):
        detail = "".join(traceback.format_exception(*error))
        self._line(test, False, detail)
        print(f"FAILED {test.id().split('.', 1)[-1]}\n{detail}", file=sys.stderr)
        for server in getattr(test, "started_servers", []):
            tail = "\n".join(server.logs().splitlines()[-40:])
            print(f"--- last lines of {server.name} (port {server.port}) ---\n{tail}", file=sys.stderr)
        sys.stderr.flush()

    def addFailure(self, test, error):
        super().addFailure(test, error)
        self._failed(test, error)

    def addError(self, test, error):
        super().addError(test, error)
        self._failed(test, error)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(test, True, directive=f" # SKIP {reason}")

    def addSubTest(self, test, subtest, error):
        """A failed subTest gets its own "not ok" line (its test case's line alone would say ok)."""
        super().addSubTest(test, subtest, error)
        if error is not None:
            self._failed(subtest, error)


def main():
    """Runs the calling module's tests, printing TAP; exits non-zero on any failure."""
    module = sys.modules["__main__"]
    suite = unittest.defaultTestLoader.loadTestsFromModule(module)
    result = TapResult()
    suite.run(result)
    print(f"1..{result.number}", flush=True)
    sys.exit(0 if result.wasSuccessful() else 1)


class ScriptedReceiver(Receiver):
    """A real HTTP server for callbacks whose answers a test scripts.

    answer(body, attempt) gives the status of each POST as it arrives: body is the parsed JSON (or the text when it
    is not JSON), attempt counts the POSTs of that same body, from 1. It may block to hold the request open (the
    server has a thread per connection). port=0 picks a free port; a given port lets a test start the receiver
    where callbacks were already failing to connect. received lists {"body", "attempt", "arrived"} in arrival order,
    recorded before the answer.
    """

    def __init__(self, answer=None, port=0):
        self.answer = answer or (lambda body, attempt: 200)
        self.received = []
        self._attempts = {}
        self._lock = threading.Lock()
        receiver = self

        class Handler(QuietJsonHandler):
            def do_POST(self):
                text = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                try:
                    body = json.loads(text)
                except ValueError:
                    body = text
                with receiver._lock:
                    attempt = receiver._attempts[text] = receiver._attempts.get(text, 0) + 1
                    receiver.received.append({"body": body, "attempt": attempt, "arrived": time.monotonic()})
                status = receiver.answer(body, attempt)
                self.reply_json(status, b'{"ok":true}' if status < 300 else b'{"error":"scripted"}')

        self._serve(Handler, port)

    def references(self):
        """How many POSTs each valuationReference got."""
        counts = {}
        for entry in list(self.received):
            reference = entry["body"]["valuationReference"]
            counts[reference] = counts.get(reference, 0) + 1
        return counts

    def arrivals(self, reference):
        """The arrival times of the POSTs for reference, in order."""
        return [entry["arrived"] for entry in list(self.received) if entry["body"]["valuationReference"] == reference]


# ---- the Redis key layout, written again independently of execution_store.c ----

# The loan-processors inherit this environment: EXECUTION_SHARDS set there is theirs, else their default.
EXECUTION_SHARDS = int(os.environ.get("EXECUTION_SHARDS") or "128")


def execution_shard(execution_id):
    """The shard of an execution ("<stateMachine>:<execution>"): FNV-1a 32 of its id, modulo EXECUTION_SHARDS."""
    return fnv1a_32(execution_id.encode()) % EXECUTION_SHARDS


def execution_key(execution_id, kind="execution"):
    """The key of an execution's record (kind "execution") or history (kind "history")."""
    return f"{{sfn:{execution_shard(execution_id):02d}}}:{kind}:{execution_id}"


def executions_index_key(state_machine_arn):
    """The key of a state machine's index of executions: tagged by the machine's name (versions and aliases too)."""
    name = state_machine_arn.split(":stateMachine:", 1)[1].split(":", 1)[0]
    return f"{{sfn:executions:{name}}}:{state_machine_arn}"


def timers_key(execution_id):
    """The key of the timers of an execution's shard."""
    return f"{{sfn:{execution_shard(execution_id):02d}}}:timers"


def key_slot(key):
    """A key's Redis Cluster hash slot: CRC16 (XMODEM) of its hash tag (or of the key), modulo 16384."""
    start = key.find("{")
    if start >= 0:
        end = key.find("}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    crc = 0
    for byte in key.encode():
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc % 16384

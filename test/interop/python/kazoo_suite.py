"""Interop checks for a ZooKeeper-compatible server through kazoo 2.8 (Debian's python3-kazoo).

Run by test/interop/kazoo.test.ts with the system interpreter (/usr/bin/python3):

    kazoo_suite.py suite HOST:PORT        run every check; print one JSON line per check
                                          ({"check": name, "ok": bool, "error": str}); exit 1 if any failed
    kazoo_suite.py hold HOST:PORT PATH    open a session, create ephemeral PATH, print one JSON line with the
                                          session id and password, then block until killed (the suite kills it
                                          with SIGKILL to drop a session without closing it)

kazoo 2.8 has no public API for container or TTL nodes, so those two checks send the wire requests
(createContainer op 19, createTTL op 21) through kazoo's own connection with small request records.
Every wait is bounded; waiting for an expiry is waiting for the NodeDeleted event it causes.
"""

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import traceback
from collections import namedtuple

from kazoo.client import KazooClient
from kazoo.exceptions import (BadArgumentsError, BadVersionError, InvalidACLError, NoAuthError,
                              NoChildrenForEphemeralsError, NodeExistsError, NoNodeError,
                              NotEmptyError, RolledBackError, RuntimeInconsistency)
from kazoo.protocol.serialization import int_struct, long_struct, read_string, stat_struct, write_buffer, write_string
from kazoo.protocol.states import EventType, ZnodeStat
from kazoo.security import OPEN_ACL_UNSAFE, make_acl, make_digest_acl

SESSION_TIMEOUT_S = 4.0  # servers clamp to at least 2 * tickTime (4 s at tickTime 2000)
CONNECT_DEADLINE_S = 15.0
EVENT_DEADLINE_S = 10.0
EXPIRY_DEADLINE_S = 30.0  # session timeout + one expiry tick + slack
SWEEP_DEADLINE_S = 20.0  # container/TTL sweeps run every znode.container.checkIntervalMs (test sets 1 s)


def connect(hosts, client_id=None):
    client = KazooClient(hosts=hosts, timeout=SESSION_TIMEOUT_S, client_id=client_id,
                         connection_retry={"max_tries": 3, "delay": 0.1, "max_delay": 1})
    client.start(timeout=CONNECT_DEADLINE_S)
    return client


class Events:
    """A watch callback that queues events; `expect` waits (bounded) for the next one."""

    def __init__(self):
        self._events = []
        self._cond = threading.Condition()

    def __call__(self, event):
        with self._cond:
            self._events.append(event)
            self._cond.notify_all()

    def next(self, timeout=EVENT_DEADLINE_S):
        with self._cond:
            if not self._cond.wait_for(lambda: self._events, timeout):
                raise AssertionError("no watch event within %s s" % timeout)
            return self._events.pop(0)

    def expect(self, type_, path, timeout=EVENT_DEADLINE_S):
        event = self.next(timeout)
        assert (event.type, event.path) == (type_, path), "expected %s %s, got %s" % (type_, path, event)


def expect_error(error_class, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error_class:
        return
    raise AssertionError("expected %s from %s%r" % (error_class.__name__, fn.__name__, args))


def expect_no_event_before(client, events, marker):
    """Proves no stray event is queued: a fresh exists-watch on `marker` must deliver the next event."""
    client.exists(marker, watch=events)
    client.create(marker)
    events.expect(EventType.CREATED, marker)


def acl_record(acls):
    b = bytearray(int_struct.pack(len(acls)))
    for acl in acls:
        b.extend(int_struct.pack(acl.perms) + write_string(acl.id.scheme) + write_string(acl.id.id))
    return b


class CreateContainer(namedtuple("CreateContainer", "path data acl")):
    """createContainer (op 19): a CreateRequest; the reply is path + Stat like create2."""
    type = 19

    def serialize(self):
        return (bytearray(write_string(self.path)) + write_buffer(self.data) + acl_record(self.acl)
                + int_struct.pack(4))

    @classmethod
    def deserialize(cls, buf, offset):
        path, offset = read_string(buf, offset)
        return path, ZnodeStat._make(stat_struct.unpack_from(buf, offset))


class CreateTTL(namedtuple("CreateTTL", "path data acl flags ttl")):
    """createTTL (op 21): CreateTTLRequest = CreateRequest + long ttl; the reply is path + Stat."""
    type = 21

    def serialize(self):
        return (bytearray(write_string(self.path)) + write_buffer(self.data) + acl_record(self.acl)
                + int_struct.pack(self.flags) + long_struct.pack(self.ttl))

    deserialize = CreateContainer.deserialize


def send_raw(client, request):
    result = client.handler.async_result()
    client._call(request, result)  # kazoo's own request path: framing, xids, errors
    return result.get(timeout=EVENT_DEADLINE_S)


# ---- checks ---------------------------------------------------------------------------------

def check_create_modes(hosts):
    zk = connect(hosts)
    try:
        session_id = zk.client_id[0]
        assert zk.create("/py-modes", b"base") == "/py-modes"
        path, stat = zk.create("/py-modes/eph", b"e", ephemeral=True, include_data=True)
        assert stat.ephemeralOwner == session_id, stat
        s1 = zk.create("/py-modes/seq-", sequence=True)
        s2 = zk.create("/py-modes/seq-", sequence=True)
        assert s1.startswith("/py-modes/seq-") and len(s1) == len("/py-modes/seq-") + 10, s1
        assert int(s2[-10:]) > int(s1[-10:]), (s1, s2)
        es = zk.create("/py-modes/eseq-", ephemeral=True, sequence=True)
        assert es[-10:].isdigit(), es
        assert zk.exists(es).ephemeralOwner == session_id
        assert zk.create("/py-modes/deep/er/path", b"d", makepath=True) == "/py-modes/deep/er/path"
        expect_error(NodeExistsError, zk.create, "/py-modes")
        expect_error(NoNodeError, zk.create, "/py-modes/missing/child")
        expect_error(NoChildrenForEphemeralsError, zk.create, "/py-modes/eph/child")
        assert zk.get("/py-modes")[0] == b"base"
    finally:
        zk.stop()
        zk.close()


def check_container(hosts):
    zk = connect(hosts)
    try:
        events = Events()
        send_raw(zk, CreateContainer("/py-container-unused", b"", OPEN_ACL_UNSAFE))
        path, stat = send_raw(zk, CreateContainer("/py-container", b"c", OPEN_ACL_UNSAFE))
        assert path == "/py-container" and stat.ephemeralOwner == 0, (path, stat)
        zk.create("/py-container/child")
        zk.exists("/py-container", watch=events)
        zk.delete("/py-container/child")
        events.expect(EventType.DELETED, "/py-container", SWEEP_DEADLINE_S)
        assert zk.exists("/py-container-unused") is not None, "a never-used container is kept"
    finally:
        zk.stop()
        zk.close()


def check_ttl(hosts):
    zk = connect(hosts)
    try:
        events = Events()
        path, stat = send_raw(zk, CreateTTL("/py-ttl", b"t", OPEN_ACL_UNSAFE, 5, 500))
        assert path == "/py-ttl" and stat.ephemeralOwner == 0, (path, stat)
        seq, _ = send_raw(zk, CreateTTL("/py-ttl-seq-", b"", OPEN_ACL_UNSAFE, 6, 500))
        assert seq[-10:].isdigit(), seq
        expect_error(BadArgumentsError, send_raw, zk, CreateTTL("/py-ttl-zero", b"", OPEN_ACL_UNSAFE, 5, 0))
        expect_error(BadArgumentsError, send_raw, zk, CreateTTL("/py-ttl-mode", b"", OPEN_ACL_UNSAFE, 1, 500))
        zk.exists("/py-ttl", watch=events)
        events.expect(EventType.DELETED, "/py-ttl", SWEEP_DEADLINE_S)
    finally:
        zk.stop()
        zk.close()


def check_versions(hosts):
    zk = connect(hosts)
    try:
        zk.create("/py-data", b"v0")
        data, stat = zk.get("/py-data")
        assert (data, stat.version) == (b"v0", 0), (data, stat)
        after = zk.set("/py-data", b"v1", version=0)
        assert after.version == 1 and after.mzxid > stat.mzxid, after
        expect_error(BadVersionError, zk.set, "/py-data", b"x", version=0)
        zk.set("/py-data", b"v2")
        data, stat = zk.get("/py-data")
        assert (data, stat.version, stat.dataLength) == (b"v2", 2, 2), (data, stat)
        expect_error(BadVersionError, zk.delete, "/py-data", version=7)
        zk.delete("/py-data", version=2)
        expect_error(NoNodeError, zk.get, "/py-data")
        assert zk.exists("/py-data") is None
    finally:
        zk.stop()
        zk.close()


def check_children(hosts):
    zk = connect(hosts)
    try:
        zk.create("/py-kids")
        for name in ("c", "a", "b"):
            zk.create("/py-kids/" + name)
        zk.create("/py-kids/a/x")
        assert sorted(zk.get_children("/py-kids")) == ["a", "b", "c"]
        kids, stat = zk.get_children("/py-kids", include_data=True)
        assert stat.numChildren == 3 and stat.cversion == 3, stat
        expect_error(NotEmptyError, zk.delete, "/py-kids/a")
        zk.delete("/py-kids", recursive=True)
        assert zk.exists("/py-kids") is None
        expect_error(NoNodeError, zk.get_children, "/py-kids")
    finally:
        zk.stop()
        zk.close()


def check_watches(hosts):
    zk = connect(hosts)
    try:
        events = Events()
        assert zk.exists("/py-watch", watch=events) is None
        zk.create("/py-watch")
        events.expect(EventType.CREATED, "/py-watch")
        zk.get("/py-watch", watch=events)
        zk.set("/py-watch", b"1")
        events.expect(EventType.CHANGED, "/py-watch")
        zk.set("/py-watch", b"2")  # the data watch fired once and is gone
        expect_no_event_before(zk, events, "/py-watch-marker1")
        zk.get_children("/py-watch", watch=events)
        zk.create("/py-watch/kid")
        events.expect(EventType.CHILD, "/py-watch")
        zk.get("/py-watch/kid", watch=events)
        zk.delete("/py-watch/kid")
        events.expect(EventType.DELETED, "/py-watch/kid")
        # A watch set by another session fires for changes this session makes.
        other = connect(hosts)
        try:
            other_events = Events()
            other.get("/py-watch", watch=other_events)
            zk.set("/py-watch", b"3")
            other_events.expect(EventType.CHANGED, "/py-watch")
        finally:
            other.stop()
            other.close()
        expect_no_event_before(zk, events, "/py-watch-marker2")
    finally:
        zk.stop()
        zk.close()


def check_transactions(hosts):
    zk = connect(hosts)
    try:
        zk.create("/py-txn")
        zk.create("/py-txn/old", b"o")
        t = zk.transaction()
        t.create("/py-txn/new", b"n")
        t.set_data("/py-txn/new", b"n2", version=0)
        t.check("/py-txn/old", 0)
        t.delete("/py-txn/old", version=0)
        results = t.commit()
        assert results[0] == "/py-txn/new" and results[1].version == 1 and results[2:] == [True, True], results
        assert zk.exists("/py-txn/old") is None

        events = Events()
        zk.exists("/py-txn/never", watch=events)
        t = zk.transaction()
        t.create("/py-txn/never")
        t.create("/py-txn/new")
        t.set_data("/py-txn/new", b"x")
        results = t.commit()
        kinds = [type(r) for r in results]
        assert kinds == [RolledBackError, NodeExistsError, RuntimeInconsistency], results
        assert zk.exists("/py-txn/never") is None
        assert zk.get("/py-txn/new")[0] == b"n2"
        expect_no_event_before(zk, events, "/py-txn-marker")  # a failed transaction fires nothing
    finally:
        zk.stop()
        zk.close()


def check_acl_digest(hosts):
    alice = connect(hosts)
    anon = connect(hosts)
    try:
        alice.add_auth("digest", "alice:secret")
        acl = make_digest_acl("alice", "secret", all=True)
        alice.create("/py-acl", b"private", acl=[acl])
        acls, stat = alice.get_acls("/py-acl")
        assert acls == [acl], acls
        expect_error(NoAuthError, anon.get, "/py-acl")
        expect_error(InvalidACLError, anon.create, "/py-acl-bad",
                     acl=[make_acl("auth", "", all=True)])
        anon.add_auth("digest", "alice:wrong")
        expect_error(NoAuthError, anon.get, "/py-acl")
        anon.add_auth("digest", "alice:secret")
        assert anon.get("/py-acl")[0] == b"private"
        read_only = [make_acl("world", "anyone", read=True)]
        expect_error(BadVersionError, alice.set_acls, "/py-acl", read_only, version=3)
        assert alice.set_acls("/py-acl", read_only, version=0).aversion == 1
        expect_error(NoAuthError, alice.set, "/py-acl", b"x")
        assert alice.get("/py-acl")[0] == b"private"
    finally:
        for zk in (alice, anon):
            zk.stop()
            zk.close()


class LogCapture(logging.Handler):
    """Records whether a logger emitted a message containing `text`."""

    def __init__(self, logger_name, text):
        super().__init__(logging.DEBUG)
        self.text = text
        self.matched = threading.Event()
        self.logger = logging.getLogger(logger_name)
        self.logger.addHandler(self)

    def emit(self, record):
        if self.text in record.getMessage():
            self.matched.set()

    def seen(self):
        return self.matched.is_set()

    def remove(self):
        self.logger.removeHandler(self)


class Holder:
    """A child process holding a session with an ephemeral node; SIGKILL drops it without closing it."""

    def __init__(self, hosts, path):
        self.process = subprocess.Popen([sys.executable, __file__, "hold", hosts, path],
                                        stdout=subprocess.PIPE, stdin=subprocess.PIPE)
        line = self._read_line(CONNECT_DEADLINE_S + 10)
        info = json.loads(line)
        self.client_id = (info["session_id"], bytes.fromhex(info["password"]))

    def _read_line(self, timeout):
        box = []
        reader = threading.Thread(target=lambda: box.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not box or not box[0]:
            self.crash()
            raise AssertionError("holder did not report its session")
        return box[0]

    def crash(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def hold(hosts, path):
    zk = connect(hosts)
    zk.create(path, ephemeral=True)
    session_id, password = zk.client_id
    print(json.dumps({"session_id": session_id, "password": password.hex()}), flush=True)
    sys.stdin.read()  # block until killed; if our parent dies instead, stdin closes and we leave
    os._exit(0)


def check_session_expiry(hosts):
    zk = connect(hosts)
    holder = Holder(hosts, "/py-expiring")
    try:
        events = Events()
        stat = zk.exists("/py-expiring", watch=events)
        assert stat is not None and stat.ephemeralOwner == holder.client_id[0], stat
        holder.crash()
        events.expect(EventType.DELETED, "/py-expiring", EXPIRY_DEADLINE_S)
        # Resuming the expired session fails. kazoo says so only in its log ("Session has expired"; its
        # state was already LOST before the first connect, so listeners hear nothing), then opens a new session.
        expired_log = LogCapture("kazoo_suite.resume_expired", "Session has expired")
        late = KazooClient(hosts=hosts, timeout=SESSION_TIMEOUT_S, client_id=holder.client_id,
                           logger=expired_log.logger)
        try:
            late.start(timeout=CONNECT_DEADLINE_S)
            assert expired_log.seen(), "kazoo was not told the session expired"
            assert late.client_id[0] != holder.client_id[0], "expired session was resumed"
        finally:
            expired_log.remove()
            late.stop()
            late.close()
    finally:
        holder.crash()
        zk.stop()
        zk.close()


def check_session_reattach(hosts):
    zk = connect(hosts)
    holder = Holder(hosts, "/py-reattach")
    try:
        holder.crash()
        again = connect(hosts, client_id=holder.client_id)
        try:
            assert again.client_id[0] == holder.client_id[0], "a different session after re-attach"
            stat = again.exists("/py-reattach")
            assert stat is not None and stat.ephemeralOwner == holder.client_id[0], stat
            events = Events()
            zk.exists("/py-reattach", watch=events)
        finally:
            again.stop()  # closes the session
            again.close()
        events.expect(EventType.DELETED, "/py-reattach")
    finally:
        holder.crash()
        zk.stop()
        zk.close()


def check_four_letter_words(hosts):
    zk = connect(hosts)
    try:
        assert zk.command(b"ruok") == "imok"
    finally:
        zk.stop()
        zk.close()


CHECKS = [
    ("create-modes", check_create_modes),
    ("container", check_container),
    ("ttl", check_ttl),
    ("get-set-versions", check_versions),
    ("children", check_children),
    ("watches", check_watches),
    ("transactions", check_transactions),
    ("acl-digest", check_acl_digest),
    ("session-expiry", check_session_expiry),
    ("session-reattach", check_session_reattach),
    ("four-letter-ruok", check_four_letter_words),
]


def run_suite(hosts):
    all_ok = True
    for name, check in CHECKS:
        try:
            check(hosts)
            result = {"check": name, "ok": True}
        except Exception as exc:  # report and go on with the next check
            all_ok = False
            traceback.print_exc()
            result = {"check": name, "ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
        print(json.dumps(result), flush=True)
    return all_ok


def main(argv):
    if len(argv) == 3 and argv[1] == "suite":
        return 0 if run_suite(argv[2]) else 1
    if len(argv) == 4 and argv[1] == "hold":
        hold(argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""
The client half of a SASL DIGEST-MD5 exchange, run by Debian's pure-sasl exactly as kazoo drives it
(kazoo/protocol/connection.py, _authenticate_with_sasl): service "zookeeper", host fixed to "zk-sasl-md5",
an empty first token, and no token after the server's rspauth has been checked.

Bridge protocol with the Node test, one line each: we print `TOKEN <hex>` for every token kazoo would send
in a SASL request, read the server's token as a hex line on stdin, and finish with `DONE` (authenticated and
rspauth verified) or `FAIL <reason>`.

Usage: /usr/bin/python3 puresasl_digest_client.py USER_HEX PASSWORD_HEX
(user and password as hex of their UTF-8 bytes, so no locale can mangle them)
"""
import sys

from puresasl.client import SASLClient


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    user = bytes.fromhex(sys.argv[1]).decode("utf-8")
    password = bytes.fromhex(sys.argv[2]).decode("utf-8")
    client = SASLClient(host="zk-sasl-md5", service="zookeeper", mechanism="DIGEST-MD5",
                        username=user, password=password)
    challenge = None
    # Bounded like the exchange itself: DIGEST-MD5 needs two round trips.
    for _ in range(8):
        if client.complete:
            break
        try:
            response = client.process(challenge=challenge)
        except Exception as err:  # pure-sasl raises SASLProtocolException on a bad rspauth
            emit("FAIL %s: %s" % (type(err).__name__, err))
            return 1
        if client.complete and not response:
            break
        emit("TOKEN " + (response or b"").hex())
        line = sys.stdin.readline()
        if not line:
            emit("FAIL server closed the exchange")
            return 1
        challenge = bytes.fromhex(line.strip())
    if not client.complete:
        emit("FAIL exchange did not complete")
        return 1
    emit("DONE")
    return 0


if __name__ == "__main__":
    sys.exit(main())

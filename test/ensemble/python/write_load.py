"""Write load for ensemble fault tests: creates /load/n-<i> one after another through kazoo with retries,
printing 'ACK <i> <unix-ms>' for each acknowledged create (NodeExists after a retry counts: the first try
landed). Exits after `count` creates or when stdin closes."""
import sys, time
from kazoo.client import KazooClient
from kazoo.retry import KazooRetry
from kazoo.exceptions import NodeExistsError

hosts, count = sys.argv[1], int(sys.argv[2])
retry = KazooRetry(max_tries=400, delay=0.05, max_delay=0.25, ignore_expire=False)
zk = KazooClient(hosts=hosts, timeout=10.0, connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.25), command_retry=retry)
zk.start(timeout=30)
zk.ensure_path('/load')
for i in range(count):
    def create():
        try:
            zk.create('/load/n-%d' % i, b'v%d' % i)
        except NodeExistsError:
            pass
    retry(create)
    print('ACK %d %d' % (i, int(time.time() * 1000)), flush=True)
zk.stop()
print('DONE', flush=True)

/**
 * The master-worker example's znodes (the layout of the ZooKeeper book's example), all under a root that
 * clients use as their chroot, so the code below names them exactly as the book does:
 *
 *   /master                  EPHEMERAL   the elected master's name; backups watch it
 *   /workers/<worker>        EPHEMERAL   one per live worker
 *   /tasks/task-<seq>        PERSISTENT_SEQUENTIAL  submitted by clients, not yet assigned; data = the job
 *   /assign/<worker>/<task>  PERSISTENT  assigned by the master; the worker runs it
 *   /status/<task>           PERSISTENT  the result, written by the worker that completed the task
 *
 * Every move of a task is one multi-op transaction, so a task is always in exactly one place: in /tasks, in
 * one /assign/<worker>, or completed with a /status node.
 */
import { type ClientOptions, type ZooKeeperClient } from "../../src/client/index.js";
import { connect, ensurePath } from "../shared/cli.js";

export const ROOT_DEFAULT = "/examples/master-worker";
export const MASTER = "/master";
export const WORKERS = "/workers";
export const TASKS = "/tasks";
export const ASSIGN = "/assign";
export const STATUS = "/status";

/**
 * Connects with `root` as chroot, creating the root and the four directories first. The connect string's
 * chroot goes after the last host (`h1:2181,h2:2181/examples/master-worker`).
 */
export async function connectUnderRoot(server: string, root: string, who: string, options: ClientOptions = {}): Promise<ZooKeeperClient> {
  const setup = await connect(server, who);
  try {
    for (const dir of [WORKERS, TASKS, ASSIGN, STATUS]) await ensurePath(setup, `${root}${dir}`);
  } finally {
    await setup.close();
  }
  return connect(`${server}${root}`, who, options);
}

/** Task names in submission order (their sequence numbers). */
export function inSubmissionOrder(tasks: readonly string[]): string[] {
  return [...tasks].sort((a, b) => a.localeCompare(b));
}

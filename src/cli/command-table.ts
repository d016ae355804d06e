/** Every ZooKeeper command of `herd cli` (the shell adds its own: history, redo, connect, close, quit, help, printwatches). */
import { ZNODE_COMMANDS, type CommandSpec } from "./commands.js";
import { QUOTA_COMMANDS } from "./quota-commands.js";
import { SERVER_COMMANDS } from "./server-commands.js";

export const COMMANDS: readonly CommandSpec[] = [...ZNODE_COMMANDS, ...QUOTA_COMMANDS, ...SERVER_COMMANDS];

/**
 * The one owner of PKCS#11 module lifecycles in this process (main thread). Module state is
 * process-wide: the first worker of a driver initializes it, and only the last worker to
 * close finalizes it. Starts and closes of one driver are serialized, so that no
 * `C_Initialize` races a `C_Finalize`.
 *
 * @module
 */
import { isLoadedInThisThread } from "../../ffi/module.ts";

const users = new Map<string, number>();
const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task of the same driver. */
export function serialize<T>(driver: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(driver) ?? Promise.resolve();
  const next = previous.then(task, task);
  queues.set(driver, next.catch(() => undefined));
  return next;
}

/** Counts a new worker of `driver`. */
export function acquireModule(driver: string): void {
  users.set(driver, (users.get(driver) ?? 0) + 1);
}

/**
 * Uncounts a worker of `driver`; `true` when it was the last user and must finalize. A
 * module that this (main) thread also loaded directly is never finalized on its behalf.
 */
export function releaseModule(driver: string): boolean {
  const left = (users.get(driver) ?? 1) - 1;
  if (left <= 0) users.delete(driver);
  else users.set(driver, left);
  return left <= 0 && !isLoadedInThisThread(driver);
}

/**
 * Drives a command through a pseudo-terminal (python3's `pty`): waits for each expected
 * prompt, then types the answer. Returns everything the terminal showed, echo included.
 */
import { spawnSync } from "node:child_process";

/** One exchange: wait until `expect` has appeared, then type `send`. */
export interface PtyStep {
  expect: string;
  send: string;
}

const DRIVER = `
import json, os, pty, select, sys, time
cmd, steps = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b""
def pump(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if not r:
        return True
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        return False
    out += chunk
    return len(chunk) > 0
seen = 0
for step in steps:
    deadline = time.time() + 60
    while out.find(step["expect"].encode(), seen) < 0:
        if time.time() > deadline or not pump(1):
            sys.stdout.buffer.write(out)
            sys.exit(97)
    seen = out.find(step["expect"].encode(), seen) + len(step["expect"])
    os.write(fd, step["send"].encode())
while pump(60):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;

/** Runs `cmd` on a pseudo-terminal, answering `steps`; returns the terminal output and status. */
export function runOnPty(
  cmd: string[],
  steps: PtyStep[],
  env: Record<string, string> = {},
): { status: number; output: string } {
  const res = spawnSync("python3", ["-c", DRIVER, JSON.stringify(cmd), JSON.stringify(steps)], {
    env: { ...process.env, NO_COLOR: "1", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.error) throw res.error;
  return { status: res.status ?? -1, output: new TextDecoder().decode(res.stdout) };
}

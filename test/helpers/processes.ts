/** Child processes, as Linux's /proc shows them: for tests that check nothing is left running. */
import fs from 'node:fs';

function readStat(pid: number | string): { comm: string; state: string; ppid: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const [state, ppid] = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), state, ppid: Number(ppid) };
  } catch {
    return undefined; // gone, or not Linux
  }
}

/** Running, and not a zombie (an exited child its parent has not reaped yet). */
export function isRunning(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

/** The pids of `parent`'s running children whose command name is `name` (e.g. 'anvil'). */
export function childrenNamed(parent: number, name: string): number[] {
  if (!fs.existsSync('/proc')) return [];
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      const stat = readStat(entry);
      return stat !== undefined && stat.ppid === parent && stat.comm === name && stat.state !== 'Z';
    })
    .map(Number);
}

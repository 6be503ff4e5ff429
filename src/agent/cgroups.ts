// Removing the agent's cgroups. The runtime removes each container's own
// cgroup, but not the pod-level parent the agent named in the sandbox config:
// the agent removes that once the pod is gone. On a hybrid v1/v2 host the same
// path exists under every mounted hierarchy.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Mount points of cgroup (v1) and cgroup2 hierarchies. */
export function cgroupMounts(): string[] {
  let text = '';
  try { text = fs.readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return []; }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!post) continue;
    const fstype = post.split(' ')[0];
    if (fstype === 'cgroup' || fstype === 'cgroup2') out.push(pre.split(' ')[4].replace(/\\040/g, ' '));
  }
  return out;
}

/**
 * Removes `rel` (e.g. /pilot-abc123/pod<uid>) and its empty sub-cgroups under
 * every hierarchy. A cgroup that still has processes stays (rmdir fails with
 * EBUSY); returns the paths that could not be removed.
 */
export function removeCgroupTree(rel: string): string[] {
  const left: string[] = [];
  for (const mount of cgroupMounts()) {
    const root = path.join(mount, rel);
    const rm = (dir: string): void => {
      let entries: fs.Dirent[];
      try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
      for (const e of entries) if (e.isDirectory()) rm(path.join(dir, e.name));
      try { fs.rmdirSync(dir); } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(dir);
      }
    };
    rm(root);
  }
  return left;
}

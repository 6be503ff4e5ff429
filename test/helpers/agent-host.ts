// Host-side inspection and cleanup for tests that run the real node agent:
// what an agent with a given data dir leaves on the machine (containerd and
// shim processes, mounts and network namespaces under the data dir, its CNI
// bridge and masquerade rules, its cgroups), and how to remove it all.

import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { removeCgroupTree } from '../../src/agent/cgroups.ts';
import { networkNamesFor } from '../../src/agent/cni/config.ts';
import { CriClient } from '../../src/agent/cri/client.ts';

export interface AgentFootprint {
  processes: { pid: number; cmd: string }[];
  mounts: string[];
  bridge: boolean;
  natRules: string[];
  cgroups: string[];
}

export class AgentHost {
  readonly agentDir: string;
  readonly socket: string;
  readonly net: { name: string; bridge: string };
  readonly cgroupRoot: string;

  constructor(dataDir: string) {
    this.agentDir = path.join(dataDir, 'agent');
    this.socket = path.join(this.agentDir, 'containerd', 'containerd.sock');
    this.net = networkNamesFor(this.agentDir);
    this.cgroupRoot = `/pilot-${crypto.createHash('sha256').update(path.resolve(this.agentDir)).digest('hex').slice(0, 6)}`;
  }

  /** containerd and shims of this agent (their command lines name its directory or socket). */
  processes(): { pid: number; cmd: string }[] {
    const out: { pid: number; cmd: string }[] = [];
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      let cmd = '';
      try { cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0/g, ' ').trim(); } catch { continue; }
      if (cmd.includes(this.agentDir)) out.push({ pid: Number(d), cmd });
    }
    return out;
  }

  mounts(): string[] {
    return fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
      .map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(this.agentDir));
  }

  bridgeExists(): boolean {
    return spawnSync('ip', ['link', 'show', this.net.bridge], { stdio: 'ignore' }).status === 0;
  }

  /** nat rules of this agent's CNI network (the bridge plugin's masquerade chains carry its name). */
  natRules(): string[] {
    const r = spawnSync('iptables', ['-t', 'nat', '-S'], { encoding: 'utf8' });
    return (r.stdout ?? '').split('\n').filter((l) => l.includes(`name: \\"${this.net.name}\\"`) || l.includes(`name: "${this.net.name}"`));
  }

  cgroups(): string[] {
    return ['cpu', 'memory', 'pids', 'unified'].map((h) => path.join('/sys/fs/cgroup', h, this.cgroupRoot)).filter((p) => fs.existsSync(p));
  }

  footprint(): AgentFootprint {
    return { processes: this.processes(), mounts: this.mounts(), bridge: this.bridgeExists(), natRules: this.natRules(), cgroups: this.cgroups() };
  }

  /** Stops and removes every sandbox through the CRI (while containerd still runs): CNI DEL, netns and mounts go with them. */
  async removeAllPods(): Promise<void> {
    if (!fs.existsSync(this.socket)) return;
    const cri = new CriClient(this.socket, { timeoutMs: 20_000 });
    try {
      for (const sb of await cri.listPodSandbox()) {
        await cri.stopPodSandbox(sb.id).catch(() => undefined);
        await cri.removePodSandbox(sb.id).catch(() => undefined);
      }
    } catch { /* containerd already gone */ } finally {
      cri.close();
    }
  }

  /** After the server stopped: whatever is still there goes (processes by PID, mounts, bridge, rules, cgroups). */
  cleanup(): void {
    for (const p of this.processes()) {
      try { process.kill(p.pid, 'SIGKILL'); } catch { /* gone */ }
    }
    for (const m of this.mounts().sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    for (const rule of this.natRules()) {
      const jump = /-j (CNI-[0-9a-f]+)/.exec(rule)?.[1];
      spawnSync('sh', ['-c', `iptables -t nat ${rule.replace(/^-A /, '-D ')}`], { stdio: 'ignore' });
      if (jump) {
        spawnSync('iptables', ['-t', 'nat', '-F', jump], { stdio: 'ignore' });
        spawnSync('iptables', ['-t', 'nat', '-X', jump], { stdio: 'ignore' });
      }
    }
    if (this.bridgeExists()) spawnSync('ip', ['link', 'del', this.net.bridge], { stdio: 'ignore' });
    removeCgroupTree(this.cgroupRoot);
  }

  /** `ctr images import` into the agent's containerd (k8s.io namespace). */
  importImage(archive: string): void {
    execFileSync('ctr', ['-a', this.socket, '-n', 'k8s.io', 'images', 'import', archive], { stdio: 'pipe' });
  }
}

// The node agent (Pilot's kubelet): brings up its own containerd, registers
// the Node and keeps its status and Lease fresh, configures pod networking
// from the node's pod CIDR, and runs pod workers for the pods bound to it.
// A client of the API like any other component; stop() leaves running pods
// running (as the kubelet does) and stops containerd by PID.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { realClock, type Clock } from '../base/clock.ts';
import { EventRecorder, isNotFound, ResourceInformer, type RestClient } from '../client/index.ts';
import { removeCgroupTree } from './cgroups.ts';
import { networkNamesFor, writeCniConfig } from './cni/config.ts';
import { ContainerdSupervisor } from './containerd/supervisor.ts';
import { CriClient } from './cri/client.ts';
import { readHostFacts, type HostFacts } from './host.ts';
import { buildPauseImage, busyboxAvailable, PAUSE_IMAGE } from './images/builtin.ts';
import { ensureImage } from './images/import.ts';
import { NodeStatusManager, type RuntimeState } from './node-status.ts';
import { PodSync } from './pod-sync.ts';
import { ProbeManager } from './probes/manager.ts';
import { PodWorkers } from './pod-workers.ts';
import { RestartBackoff } from './restart-backoff.ts';

export const DEFAULT_POD_CIDR = '10.42.0.0/24';

export interface AgentConfig {
  /** The agent's own directory (<data-dir>/agent): containerd, CNI state, pod logs. */
  dir: string;
  nodeName: string;
  client: RestClient;
  /** Version the Node reports as kubeletVersion. */
  kubeletVersion: string;
  /** Pod CIDR used while the Node has no spec.podCIDR (upstream kubelet's --pod-cidr). */
  podCIDR?: string;
  nodeIP?: string;
  nodeLabels?: Record<string, string>;
  insecureRegistries?: string[];
  logger: Logger;
  clock?: Clock;
}

export interface Agent {
  readonly nodeName: string;
  readonly criSocket: string;
  /** Resolves once the node is registered and pod workers run; rejects if start-up failed. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** Starts the agent in the background; `ready` tells when (and whether) it is up. */
export function startAgent(cfg: AgentConfig): Agent {
  const clock = cfg.clock ?? realClock;
  const log = cfg.logger;
  const containerd = new ContainerdSupervisor({ dir: path.join(cfg.dir, 'containerd'), sandboxImage: PAUSE_IMAGE, insecureRegistries: cfg.insecureRegistries, logger: log });
  const cri = new CriClient(containerd.paths.socket);
  const net = networkNamesFor(cfg.dir);
  const podsDir = path.join(cfg.dir, 'pods');
  const ipamDir = path.join(cfg.dir, 'cni', 'ipam');
  const cgroupRoot = `/pilot-${crypto.createHash('sha256').update(path.resolve(cfg.dir)).digest('hex').slice(0, 6)}`;
  const events = new EventRecorder(cfg.client, { component: 'kubelet', host: cfg.nodeName, clock });
  const backoff = new RestartBackoff(clock);
  let host: HostFacts = readHostFacts(cfg.dir);
  let runtimeVersion = 'containerd://unknown';
  let podCIDR = '';
  let stopped = false;
  let status: NodeStatusManager | undefined;
  let informer: ResourceInformer<Pod> | undefined;
  let workers: PodWorkers | undefined;

  const applyPodCIDR = (cidr: string | undefined): void => {
    const want = cidr || cfg.podCIDR || DEFAULT_POD_CIDR;
    if (want === podCIDR) return;
    podCIDR = want;
    writeCniConfig(containerd.paths.cniConfDir, { name: net.name, bridge: net.bridge, podCIDR: want, ipamDataDir: ipamDir });
    log.info({ podCIDR: want, bridge: net.bridge }, 'pod network configured');
  };

  const runtimeState = async (): Promise<RuntimeState> => {
    try {
      const conds = await cri.status();
      const rt = conds.find((c) => c.type === 'RuntimeReady');
      const nw = conds.find((c) => c.type === 'NetworkReady');
      const images = (await cri.listImages()).map((i) => ({ names: [...i.repoTags, ...i.repoDigests], sizeBytes: i.size }));
      return {
        runtimeVersion, runtimeReady: rt?.status === true, networkReady: nw?.status === true,
        message: [rt, nw].filter((c) => c && !c.status).map((c) => `${c!.reason}: ${c!.message}`).join('; ') || undefined,
        images,
      };
    } catch (e) {
      return { runtimeVersion, runtimeReady: false, networkReady: false, message: (e as Error).message, images: [] };
    }
  };

  const ready = (async () => {
    if (!busyboxAvailable()) throw new Error('the agent builds its pause image from /bin/busybox: install busybox-static (scripts/install-deps.sh)');
    fs.mkdirSync(cfg.dir, { recursive: true, mode: 0o700 });
    await containerd.start();
    if (stopped) return;
    const v = await cri.version();
    runtimeVersion = `${v.runtimeName}://${v.runtimeVersion}`;
    await ensureImage(cri, containerd.paths.socket, buildPauseImage(), path.join(cfg.dir, 'images'));

    status = new NodeStatusManager({
      client: cfg.client, clock, logger: log,
      identity: { name: cfg.nodeName, kubeletVersion: cfg.kubeletVersion, labels: cfg.nodeLabels, nodeIP: cfg.nodeIP },
      host: () => { host = readHostFacts(cfg.dir); return host; },
      runtime: runtimeState,
      onPodCIDR: applyPodCIDR,
    });
    // The CNI config must exist before the first status: NetworkReady depends on it.
    applyPodCIDR(undefined);
    // Like the kubelet, keep trying to register (the API may refuse for a while, e.g. during start-up).
    for (let delay = 1000; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        await status.register();
        break;
      } catch (err) {
        if (stopped) return;
        log.warn({ err, retryInMs: delay }, 'unable to register node; retrying');
        await new Promise((r) => setTimeout(r, delay));
        if (stopped) return;
      }
    }
    status.start();

    const pods = cfg.client.resource<Pod>('v1', 'Pod');
    informer = new ResourceInformer<Pod>(pods, { fieldSelector: `spec.nodeName=${cfg.nodeName}`, name: 'pods' });
    const get = async <T>(kind: string, ns: string, name: string): Promise<T | undefined> => {
      try { return await cfg.client.resource<T & object>('v1', kind).namespace(ns).get(name); } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };
    const sandboxOptions = (pod: Pod) => ({
      logDirectory: path.join(podsDir, `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`),
      cgroupParent: `${cgroupRoot}/pod${pod.metadata?.uid}`,
    });
    const hostIP = (): string | undefined => cfg.nodeIP ?? host.internalIP;
    const sync = new PodSync({
      cri, clock, logger: log, events, backoff, hostIP, sandboxOptions,
      nodeAllocatable: () => status?.current?.status?.allocatable,
      lookups: {
        configMap: (ns, name) => get<ConfigMap>('ConfigMap', ns, name),
        secret: (ns, name) => get<Secret>('Secret', ns, name),
        secrets: async (ns, names) => (await Promise.all(names.map((n) => get<Secret>('Secret', ns, n)))).filter((s): s is Secret => !!s),
      },
    });
    const probes = new ProbeManager({
      clock, events,
      exec: (id, cmd, timeout) => cri.execSync(id, cmd, timeout),
      stopContainer: (id, grace) => cri.stopContainer(id, grace),
      onChange: (uid) => workers?.resync(uid),
    });
    workers = new PodWorkers({ client: cfg.client, cri, sync, informer, clock, logger: log, sandboxOptions, hostIP, probes });
    workers.start();
    informer.start();
    log.info({ node: cfg.nodeName, runtime: runtimeVersion, socket: containerd.paths.socket }, 'agent ready');
  })();
  // Callers that never look at `ready` must not see an unhandled rejection; the error is logged.
  ready.catch((err: unknown) => log.error({ err }, 'agent failed to start'));

  return {
    nodeName: cfg.nodeName,
    criSocket: containerd.paths.socket,
    ready,
    async stop() {
      if (stopped) return;
      stopped = true;
      await ready.catch(() => undefined);
      await informer?.stop();
      await workers?.stop();
      await status?.stop();
      await events.flush().catch(() => undefined);
      cri.close();
      await containerd.stop();
      // Only empty cgroups go (pods left running keep theirs).
      removeCgroupTree(cgroupRoot);
    },
  };
}

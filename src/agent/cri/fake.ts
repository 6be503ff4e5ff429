// An in-memory CRI runtime for unit tests of pod workers: sandboxes and
// containers with labels and states, images present or pullable, and hooks to
// make containers exit. Time comes from the test's clock.

import type { Clock } from '../../base/clock.ts';
import type { CriRuntime } from './client.ts';
import type {
  AuthConfig, Container, ContainerConfig, ContainerState, ContainerStatus, Image, ImageSpec, Labels, PodSandbox,
  PodSandboxConfig, PodSandboxState, PodSandboxStatus,
} from './types.ts';

interface FakeContainer extends Container { config: ContainerConfig; startedAt: number; finishedAt: number; exitCode: number; reason: string }
interface FakeSandbox extends PodSandbox { ip: string }

function notFound(what: string): Error {
  return Object.assign(new Error(`${what} not found`), { code: 5 });
}

function matches(labels: Labels, selector: Labels | undefined): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
}

export class FakeCri implements CriRuntime {
  readonly sandboxes = new Map<string, FakeSandbox>();
  readonly containers = new Map<string, FakeContainer>();
  /** Image name → ID. */
  readonly images = new Map<string, string>();
  /** Names PullImage succeeds for (anything else fails). */
  readonly pullable = new Set<string>();
  readonly calls: string[] = [];
  private seq = 0;

  constructor(private readonly clock: Clock) {}

  private ns(): number { return this.clock.now() * 1e6; }

  /** Makes a running container exit with `code` (reason as containerd gives it). */
  exit(id: string, code: number, reason = code === 0 ? 'Completed' : 'Error'): void {
    const c = this.containers.get(id)!;
    Object.assign(c, { state: 'CONTAINER_EXITED' as ContainerState, finishedAt: this.ns(), exitCode: code, reason });
  }

  /** Containers of one name, oldest first. */
  named(name: string): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.metadata.name === name).sort((a, b) => a.metadata.attempt - b.metadata.attempt);
  }

  async listPodSandbox(filter: { id?: string; state?: PodSandboxState; labelSelector?: Labels } = {}): Promise<PodSandbox[]> {
    return [...this.sandboxes.values()].filter((s) => (!filter.id || s.id === filter.id) && (!filter.state || s.state === filter.state) && matches(s.labels, filter.labelSelector));
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandboxes.get(id);
    if (!s) throw notFound(`sandbox ${id}`);
    return { ...s, network: { ip: s.ip, additionalIps: [] } };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    const id = `sb${++this.seq}`;
    this.calls.push(`RunPodSandbox ${config.metadata.name} ${config.metadata.attempt}`);
    this.sandboxes.set(id, {
      id, metadata: config.metadata, state: 'SANDBOX_READY', createdAt: this.ns(), labels: { ...config.labels },
      annotations: { ...config.annotations }, runtimeHandler: '', ip: `10.42.0.${this.seq}`,
    });
    return id;
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.calls.push(`StopPodSandbox ${id}`);
    const s = this.sandboxes.get(id);
    if (!s) return;
    s.state = 'SANDBOX_NOTREADY';
    for (const c of this.containers.values()) if (c.podSandboxId === id && c.state === 'CONTAINER_RUNNING') this.exit(c.id, 137);
  }

  async removePodSandbox(id: string): Promise<void> {
    this.calls.push(`RemovePodSandbox ${id}`);
    this.sandboxes.delete(id);
    for (const c of [...this.containers.values()]) if (c.podSandboxId === id) this.containers.delete(c.id);
  }

  async listContainers(filter: { id?: string; podSandboxId?: string; state?: ContainerState; labelSelector?: Labels } = {}): Promise<Container[]> {
    return [...this.containers.values()].filter((c) => (!filter.id || c.id === filter.id) && (!filter.podSandboxId || c.podSandboxId === filter.podSandboxId)
      && (!filter.state || c.state === filter.state) && matches(c.labels, filter.labelSelector));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container ${id}`);
    return {
      id, metadata: c.metadata, state: c.state, createdAt: c.createdAt, startedAt: c.startedAt, finishedAt: c.finishedAt, exitCode: c.exitCode,
      image: c.image, imageRef: c.imageRef, reason: c.reason, message: '', labels: c.labels, annotations: c.annotations, logPath: c.config.logPath ?? '',
    };
  }

  async createContainer(podSandboxId: string, config: ContainerConfig): Promise<string> {
    if (!this.sandboxes.has(podSandboxId)) throw notFound(`sandbox ${podSandboxId}`);
    const id = `c${++this.seq}`;
    this.calls.push(`CreateContainer ${config.metadata.name} ${config.metadata.attempt}`);
    this.containers.set(id, {
      id, podSandboxId, metadata: config.metadata, image: config.image, imageRef: config.image.image, state: 'CONTAINER_CREATED',
      createdAt: this.ns(), labels: { ...config.labels }, annotations: { ...config.annotations }, config, startedAt: 0, finishedAt: 0, exitCode: 0, reason: '',
    });
    return id;
  }

  async startContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container ${id}`);
    this.calls.push(`StartContainer ${c.metadata.name} ${c.metadata.attempt}`);
    Object.assign(c, { state: 'CONTAINER_RUNNING' as ContainerState, startedAt: this.ns() });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container ${id}`);
    this.calls.push(`StopContainer ${c.metadata.name} ${timeoutSeconds}`);
    if (c.state === 'CONTAINER_RUNNING') this.exit(id, 143);
  }

  async removeContainer(id: string): Promise<void> {
    this.calls.push(`RemoveContainer ${id}`);
    this.containers.delete(id);
  }

  /** Exec results by command (joined with spaces); default exit 0. */
  readonly execResults = new Map<string, number>();

  async execSync(containerId: string, cmd: string[]): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    const c = this.containers.get(containerId);
    if (!c) throw notFound(`container ${containerId}`);
    this.calls.push(`ExecSync ${c.metadata.name} ${cmd.join(' ')}`);
    return { stdout: Buffer.alloc(0), stderr: Buffer.from(this.execResults.get(cmd.join(' ')) ? 'hook error' : ''), exitCode: this.execResults.get(cmd.join(' ')) ?? 0 };
  }

  async imageStatus(image: ImageSpec): Promise<Image | undefined> {
    const id = this.images.get(image.image);
    return id ? { id, repoTags: [image.image], repoDigests: [], size: 1, pinned: false } : undefined;
  }

  async pullImage(image: ImageSpec, _auth?: AuthConfig): Promise<string> {
    this.calls.push(`PullImage ${image.image}`);
    if (!this.pullable.has(image.image)) throw new Error(`failed to resolve reference "${image.image}"`);
    const id = `sha256:${image.image.length.toString(16).padStart(64, '0')}`;
    this.images.set(image.image, id);
    return id;
  }
}

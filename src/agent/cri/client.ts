// A CRI v1 client over gRPC on a unix socket (the runtime and image services of
// containerd's CRI plugin, or any other CRI runtime). Every call has a deadline,
// so a hung runtime shows up as an error instead of a stuck pod worker.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type {
  AuthConfig, Container, ContainerConfig, ContainerState, ContainerStatus, Image, ImageSpec, Labels, PodSandbox,
  PodSandboxConfig, PodSandboxState, PodSandboxStatus, RuntimeCondition, VersionResponse,
} from './types.ts';

const PROTO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'runtime-v1.proto');

type Callback<R> = (err: grpc.ServiceError | null, res: R) => void;
type Stub = grpc.Client & Record<string, (req: unknown, meta: grpc.Metadata, opts: grpc.CallOptions, cb: Callback<unknown>) => void>;

let loaded: grpc.GrpcObject | undefined;
function services(): { runtime: grpc.ServiceClientConstructor; image: grpc.ServiceClientConstructor } {
  loaded ??= grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, {
    keepCase: false, longs: Number, enums: String, defaults: true, arrays: true, objects: false, oneofs: true,
  }));
  const pkg = (loaded.runtime as grpc.GrpcObject).v1 as grpc.GrpcObject;
  return { runtime: pkg.RuntimeService as grpc.ServiceClientConstructor, image: pkg.ImageService as grpc.ServiceClientConstructor };
}

export interface CriClientOptions {
  /** Per-call deadline (default 2 min: image pulls and container stops with long grace periods take a while). */
  timeoutMs?: number;
}

/** True when the runtime answered NOT_FOUND (an ID that no longer exists). */
export function isCriNotFound(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === grpc.status.NOT_FOUND;
}

/** What pod workers need of a CRI runtime (CriClient, or a fake in unit tests). */
export type CriRuntime = Pick<CriClient,
  'listPodSandbox' | 'podSandboxStatus' | 'runPodSandbox' | 'stopPodSandbox' | 'removePodSandbox' |
  'listContainers' | 'containerStatus' | 'createContainer' | 'startContainer' | 'stopContainer' | 'removeContainer' |
  'imageStatus' | 'pullImage' | 'execSync'>;

export class CriClient {
  private readonly runtime: Stub;
  private readonly images: Stub;
  private readonly timeoutMs: number;

  /** `endpoint`: a socket path or `unix:///path`. */
  constructor(endpoint: string, opts: CriClientOptions = {}) {
    const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
    const { runtime, image } = services();
    const creds = grpc.credentials.createInsecure();
    // Large messages: ListContainers on a busy node exceeds the 4 MiB default.
    const channelOpts = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    this.runtime = new runtime(target, creds, channelOpts) as unknown as Stub;
    this.images = new image(target, creds, channelOpts) as unknown as Stub;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }

  private call<R>(stub: Stub, method: string, req: object, timeoutMs = this.timeoutMs): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      stub[method](req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) => {
        if (err) {
          const e = new Error(`CRI ${method}: ${err.details || err.message}`) as Error & { code: number };
          e.code = err.code;
          reject(e);
        } else resolve(res as R);
      });
    });
  }

  // ---- runtime service ----

  version(timeoutMs?: number): Promise<VersionResponse> {
    return this.call(this.runtime, 'Version', { version: 'v1' }, timeoutMs);
  }

  async status(): Promise<RuntimeCondition[]> {
    const r = await this.call<{ status?: { conditions: RuntimeCondition[] } }>(this.runtime, 'Status', {});
    return r.status?.conditions ?? [];
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    return (await this.call<{ podSandboxId: string }>(this.runtime, 'RunPodSandbox', { config, runtimeHandler })).podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { podSandboxId });
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { podSandboxId });
  }

  async podSandboxStatus(podSandboxId: string): Promise<PodSandboxStatus> {
    return (await this.call<{ status: PodSandboxStatus }>(this.runtime, 'PodSandboxStatus', { podSandboxId })).status;
  }

  async listPodSandbox(filter: { id?: string; state?: PodSandboxState; labelSelector?: Labels } = {}): Promise<PodSandbox[]> {
    const f = { id: filter.id ?? '', labelSelector: filter.labelSelector ?? {}, ...(filter.state ? { state: { state: filter.state } } : {}) };
    return (await this.call<{ items: PodSandbox[] }>(this.runtime, 'ListPodSandbox', { filter: f })).items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    return (await this.call<{ containerId: string }>(this.runtime, 'CreateContainer', { podSandboxId, config, sandboxConfig })).containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { containerId });
  }

  /** `timeoutSeconds`: grace period before SIGKILL (0: kill at once). */
  async stopContainer(containerId: string, timeoutSeconds: number): Promise<void> {
    // The call lasts as long as the grace period: give it that much more deadline.
    await this.call(this.runtime, 'StopContainer', { containerId, timeout: timeoutSeconds }, this.timeoutMs + timeoutSeconds * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { containerId });
  }

  async listContainers(filter: { id?: string; podSandboxId?: string; state?: ContainerState; labelSelector?: Labels } = {}): Promise<Container[]> {
    const f = {
      id: filter.id ?? '', podSandboxId: filter.podSandboxId ?? '', labelSelector: filter.labelSelector ?? {},
      ...(filter.state ? { state: { state: filter.state } } : {}),
    };
    return (await this.call<{ containers: Container[] }>(this.runtime, 'ListContainers', { filter: f })).containers;
  }

  async containerStatus(containerId: string): Promise<ContainerStatus> {
    return (await this.call<{ status: ContainerStatus }>(this.runtime, 'ContainerStatus', { containerId })).status;
  }

  /** Runs `cmd` in the container and waits (probes, exec hooks); `timeoutSeconds` 0 = no limit. */
  async execSync(containerId: string, cmd: string[], timeoutSeconds: number): Promise<{ stdout: Buffer; stderr: Buffer; exitCode: number }> {
    return this.call(this.runtime, 'ExecSync', { containerId, cmd, timeout: timeoutSeconds }, this.timeoutMs + timeoutSeconds * 1000);
  }

  // ---- image service ----

  async listImages(): Promise<Image[]> {
    return (await this.call<{ images: Image[] }>(this.images, 'ListImages', {})).images;
  }

  /** The image, or undefined when the runtime does not have it. */
  async imageStatus(image: ImageSpec): Promise<Image | undefined> {
    const r = await this.call<{ image?: Image | null }>(this.images, 'ImageStatus', { image });
    return r.image ?? undefined;
  }

  /** Returns the image reference the runtime resolved (its image ID). */
  async pullImage(image: ImageSpec, auth?: AuthConfig, sandboxConfig?: PodSandboxConfig): Promise<string> {
    return (await this.call<{ imageRef: string }>(this.images, 'PullImage', { image, auth, sandboxConfig })).imageRef;
  }

  async removeImage(image: ImageSpec): Promise<void> {
    await this.call(this.images, 'RemoveImage', { image });
  }
}

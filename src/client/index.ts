// The client library's public surface, for controllers, the agent and the CLI.

export { loadKubeconfig, parseKubeconfig, inClusterConfig, defaultKubeconfigPath, KubeconfigError, type ClientConfig } from './kubeconfig.ts';
export { RestClient, type RestClientOptions, type RequestOptions, type Query } from './rest.ts';
export {
  ResourceClient, type KubeObject, type ObjectList, type ListOptions, type WatchOptions, type WriteOptions,
  type PatchOptions, type PatchType, type DeleteOptions, type ListWatch,
} from './resource.ts';
export { parseWatchStream, type WatchEvent, type WatchEventType } from './watch.ts';
export { errorFromStatus, isExpired, isNotFound, isConflict, isAlreadyExists } from './status.ts';
export { ResourceInformer, type Informer, type InformerOptions, type ResourceEventHandler } from './informer.ts';
export { SharedInformerFactory, type SharedInformerFactoryOptions } from './informer-factory.ts';
export { Indexer, objectKey, keyOf, splitKey, deepFreeze, NAMESPACE_INDEX, type Lister, type IndexFunc } from './cache.ts';
export { WorkQueue, ExponentialRateLimiter, type RateLimiter, type WorkQueueOptions } from './workqueue.ts';
export { EventRecorder, restEventSink, referenceOf, type EventType, type EventSink, type EventRecorderOptions } from './events.ts';
export { LeaderElector, leaseLock, type LeaseLock, type LeaderCallbacks, type LeaderElectionConfig } from './leaderelection.ts';
export { Backoff, type BackoffOptions } from './backoff.ts';
export { TokenBucket } from './ratelimit.ts';
export type { ClientLogger } from './log.ts';

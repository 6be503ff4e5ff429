// Node TLS bootstrap for the agent: trust the cluster CA by hash, get a client
// certificate with a bootstrap token, and keep it renewed.
export { bootstrapNodeCredentials, requestServingCertificate, rotationDelay, FILES, KUBELET_CLIENT_SIGNER, KUBELET_SERVING_SIGNER, ROTATE_AT_FRACTION, type BootstrapOptions, type BootstrappedNode, type NodeCredentials } from './credentials.ts';
export { caCertHash, parseCaCertHash, discoverClusterCA, fetchServerChain } from './discovery.ts';

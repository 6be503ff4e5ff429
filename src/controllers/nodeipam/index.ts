export {
  nodeIpamController, NodeIpamController, restNodeIpamApi, cidrSetsFor, podCidrsOf,
  DEFAULT_CLUSTER_CIDR, DEFAULT_NODE_CIDR_MASK_SIZE_IPV4, DEFAULT_NODE_CIDR_MASK_SIZE_IPV6, type NodeIpamApi,
} from './ipam.ts';
export { CidrSet, CidrSetFullError, parseCidr, formatCidr, type Cidr } from './cidrset.ts';

// Resource names ("cpu", "hugepages-2Mi", "example.com/gpu") and quantity
// values, as containers, quotas and limit ranges use them.

import { type Errs, invalid, raw } from './field.ts';
import { qualifiedNameErrors } from './names.ts';
import { type Quantity, parseQuantityStrict, formatQuantity, quantitySign, milliValue } from './quantity.ts';

const STANDARD_CONTAINER = new Set(['cpu', 'memory', 'ephemeral-storage']);
const INTEGER = new Set(['pods', 'services', 'replicationcontrollers', 'resourcequotas', 'secrets', 'configmaps',
  'persistentvolumeclaims', 'services.nodeports', 'services.loadbalancers']);
const STANDARD = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'services', 'replicationcontrollers', 'resourcequotas',
  'secrets', 'configmaps', 'persistentvolumeclaims', 'storage', 'requests.storage', 'services.nodeports', 'services.loadbalancers']);
const STANDARD_QUOTA = new Set(['cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.storage',
  'requests.ephemeral-storage', 'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods', 'services',
  'replicationcontrollers', 'resourcequotas', 'secrets', 'persistentvolumeclaims', 'configmaps', 'services.nodeports',
  'services.loadbalancers']);

export const isHugePageResourceName = (n: string): boolean => n.startsWith('hugepages-');
const isQuotaHugePage = (n: string): boolean => n.startsWith('hugepages-') || n.startsWith('requests.hugepages-');
export const isNativeResource = (n: string): boolean => !n.includes('/') || n.includes('kubernetes.io/');
export function isExtendedResourceName(n: string): boolean {
  if (isNativeResource(n) || n.startsWith('requests.')) return false;
  return qualifiedNameErrors(`requests.${n}`).length === 0;
}
export const isOvercommitAllowed = (n: string): boolean => isNativeResource(n) && !isHugePageResourceName(n);
export const isIntegerResourceName = (n: string): boolean => INTEGER.has(n) || isExtendedResourceName(n);
export const isStandardQuotaResourceName = (n: string): boolean => STANDARD_QUOTA.has(n) || isQuotaHugePage(n);

export function validateResourceName(name: string, path: string): Errs {
  const errs = qualifiedNameErrors(name).map((m) => invalid(path, name, m));
  if (errs.length) return errs;
  if (!name.includes('/') && !(STANDARD.has(name) || isQuotaHugePage(name))) {
    return [invalid(path, name, 'must be a standard resource type or fully qualified')];
  }
  return [];
}

export function validateContainerResourceName(name: string, path: string): Errs {
  const errs = validateResourceName(name, path);
  if (!name.includes('/')) {
    if (!(STANDARD_CONTAINER.has(name) || isHugePageResourceName(name))) {
      return [...errs, invalid(path, name, 'must be a standard resource for containers')];
    }
  } else if (!isNativeResource(name) && !isExtendedResourceName(name)) {
    return [...errs, invalid(path, name, "doesn't follow extended resource name standard")];
  }
  return errs;
}

/** Parses a quantity field; a value that is not a quantity is reported at its path. */
export function quantityAt(value: unknown, path: string, errs: Errs): Quantity | undefined {
  const { q, error } = parseQuantityStrict(value);
  if (!q) errs.push(invalid(path, typeof value === 'number' ? String(value) : value, error ?? ''));
  return q;
}

export function validateNonNegativeQuantity(q: Quantity, path: string): Errs {
  return quantitySign(q) < 0 ? [invalid(path, formatQuantity(q), 'must be greater than or equal to 0')] : [];
}

export function validatePositiveQuantity(q: Quantity, path: string): Errs {
  return quantitySign(q) <= 0 ? [invalid(path, formatQuantity(q), 'must be greater than zero')] : [];
}

export function validateResourceQuantityValue(name: string, q: Quantity, path: string): Errs {
  const errs = validateNonNegativeQuantity(q, path);
  if (isIntegerResourceName(name) && milliValue(q) % 1000n !== 0n) errs.push(invalid(path, raw(formatQuantity(q)), 'must be an integer'));
  return errs;
}

// StoreError → ApiError, with upstream's messages.

import { ApiError } from '../../base/errors.ts';
import { StoreError } from '../../storage/store.ts';
import { qualifiedName, type ResourceInfo } from '../../api/resources.ts';

export function mapStoreError(e: unknown, res: ResourceInfo, name: string): unknown {
  if (!(e instanceof StoreError)) return e;
  const q = qualifiedName(res);
  switch (e.code) {
    case 'KeyExists': return ApiError.alreadyExists(q, name, res.group);
    case 'NotFound': return ApiError.notFound(q, name, res.group);
    case 'Conflict': return ApiError.conflict(q, name, 'the object has been modified; please apply your changes to the latest version and try again', res.group);
    case 'Compacted': return ApiError.expired(`too old resource version: ${e.message}`);
    case 'FutureRevision': return new ApiError(504, 'Timeout', `Too large resource version: ${e.message}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    default: return ApiError.internal(e.message);
  }
}

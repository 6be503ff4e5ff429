// Errors of the strategic merge patch, classified the way the upstream
// apiserver maps them to responses (interpretStrategicMergePatchError).

import { ApiError } from '../../base/errors.ts';
import { patchNotApplicable, plainServerError } from './patch-errors.ts';

export type SmpErrorKind = 'badRequest' | 'invalid' | 'internal';

export class SmpError extends Error {
  constructor(readonly kind: SmpErrorKind, message: string) {
    super(message);
    this.name = 'SmpError';
  }

  toApiError(): ApiError {
    if (this.kind === 'badRequest') return ApiError.badRequest(this.message);
    if (this.kind === 'invalid') return patchNotApplicable();
    return plainServerError(this.message);
  }
}

export const MSG = {
  badPrimitiveList: 'invalid patch format of primitive list',
  badRetainKeys: 'invalid patch format of retainKeys',
  badSetElementOrder: 'invalid patch format of setElementOrder list',
  noListOfLists: 'lists of lists are not supported',
};

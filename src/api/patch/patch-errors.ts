// The few error shapes the patch code answers with besides the common ApiError
// helpers. Upstream produces them in two ways worth copying exactly, because
// clients print them verbatim:
//  - NewGenericServerResponse(422, …) for a patch that cannot be applied: reason
//    Invalid and a fixed message, the underlying cause deliberately not echoed;
//  - a plain Go error reaching the response writer: code 500 with no reason
//    (kubectl prints "Error from server: <message>").

import { ApiError } from '../../base/errors.ts';

export function patchNotApplicable(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

export function plainServerError(message: string): ApiError {
  return new ApiError(500, '', message);
}

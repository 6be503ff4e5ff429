export {
  endpointSliceController, EndpointSliceController, restEndpointSliceApi, type EndpointSliceApi, type EndpointSliceControllerDeps,
} from './controller.ts';
export { reconcile, serviceSliceOwner, MAX_ENDPOINTS_PER_SLICE, type SliceChanges, type SliceOwner } from './reconciler.ts';
export * from './desired.ts';
export { EndpointSliceTracker } from './tracker.ts';

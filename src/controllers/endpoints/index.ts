export {
  endpointsController, EndpointsController, restEndpointsApi, desiredSubsets, LAST_CHANGE_TRIGGER_TIME_ANNOTATION, HEADLESS_SERVICE_LABEL,
  type EndpointsApi, type EndpointsControllerDeps,
} from './endpoints.ts';
export { repackSubsets, truncateEndpoints, MAX_ENDPOINTS_CAPACITY, OVER_CAPACITY_ANNOTATION } from './subsets.ts';
export { TriggerTimeTracker } from './trigger-time.ts';
export * from './pods.ts';

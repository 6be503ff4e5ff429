export { namespaceController, type NamespaceControllerOptions } from './controller.ts';
export { NamespaceDeleter, deletableResources, FINALIZER } from './deleter.ts';
export { CONDITION_TYPES, failureConditions, updateConditions } from './conditions.ts';

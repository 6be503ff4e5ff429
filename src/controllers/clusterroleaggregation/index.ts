export { clusterRoleAggregationController, syncAggregatedRole } from './controller.ts';

export {
  deploymentController, DeploymentController, restDeploymentApi,
  type DeploymentApi, type DeploymentControllerDeps, type DeploymentControllerOptions,
} from './deployment.ts';
export * from './util.ts';

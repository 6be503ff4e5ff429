export { ttlAfterFinishedController, TTLAfterFinishedController, restTTLApi, needsCleanup, type TTLApi, type TTLControllerDeps } from './controller.ts';

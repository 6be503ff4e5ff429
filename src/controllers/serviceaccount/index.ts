export { serviceAccountController, syncServiceAccounts, isNamespaceTerminating, type ServiceAccountControllerOptions } from './controller.ts';

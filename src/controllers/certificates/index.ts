export { csrSigningController, CSRSigningController, needsSigning } from './signing.ts';
export { csrApprovingController, CSRApprovingController } from './approving.ts';
export { csrCleanerController, CSRCleaner, expiredReason } from './cleaner.ts';

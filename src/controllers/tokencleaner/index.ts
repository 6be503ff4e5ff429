export { tokenCleanerController, TokenCleaner, expirationOf, BOOTSTRAP_TOKEN_SECRET_TYPE } from './controller.ts';

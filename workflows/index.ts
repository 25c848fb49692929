// Bundle entry for the worker: every workflow Keel runs.
export { runTask } from './run-task';
export { runBatch } from './run-batch';
export { runLongTask } from './run-long-task';
export { providerHealth } from './provider-health';
export { reviewQueue } from './review-queue';
export { deliverWebhook } from './deliver-webhook';
export { runNexusTask } from './nexus-task';
export { eraseTenant } from './erase-tenant';
export { enforceRetention } from './enforce-retention';
export { runShadow } from './run-shadow';
export { runEvaluation } from './run-evaluation';

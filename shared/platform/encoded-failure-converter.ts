import { DefaultFailureConverter } from '@temporalio/common';

/**
 * The failure converter used with the encrypting codec (`failureConverterPath`): a failure's
 * message and stack trace move into its encoded attributes, a payload the codec encrypts, so
 * Temporal stores "Encoded failure" instead of an error text that may quote an input. Loaded by
 * the SDK in the worker, in clients and inside the workflow sandbox (bundled): it must import
 * nothing but `@temporalio/common`.
 */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });

/**
 * Stands in for `@aws-sdk/eventstream-handler-node` in the Lambda bundles only (see ./credential-provider-node.ts).
 * The Bedrock Runtime client creates its payload handler at construction, but only a command with an input event
 * stream uses it (InvokeModelWithBidirectionalStream: the client's `_mw1` middleware, the event-stream plugin);
 * ConverseStream and Converse, all the functions call, stream only their output and never reach it. The real handler
 * (event signing, its transform streams) is then 2 KB of the chat worker's bundle that never runs.
 */
export const eventStreamPayloadHandlerProvider = (_options?: unknown) => ({
  handle: async (): Promise<never> => {
    throw new Error('Input event streams are not available in the Lambda bundles (scripts/bundle-lambda.mjs).');
  },
});

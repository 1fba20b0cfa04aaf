import { ApiGatewayManagementApiClient, DeleteConnectionCommand, GoneException } from '@aws-sdk/client-apigatewaymanagementapi';
import { env, once } from './env';
import { managementApiSink } from '../core/frames';

const client = once(() => new ApiGatewayManagementApiClient({ endpoint: env('WEBSOCKET_CALLBACK_URL') }));

/** A frame sink for one connection, through the WebSocket API's Management API (`WEBSOCKET_CALLBACK_URL`). */
export const sinkFor = (connectionId: string) => managementApiSink(client(), connectionId);

/**
 * Closes a connection from the server side: Management API `DELETE @connections/{id}` (DeleteConnection,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html;
 * `execute-api:ManageConnections` as for posting). A connection already gone (410) is closed enough.
 */
export async function closeConnection(connectionId: string): Promise<void> {
  try {
    await client().send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
  } catch (err) {
    if (err instanceof GoneException || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) return;
    throw err;
  }
}

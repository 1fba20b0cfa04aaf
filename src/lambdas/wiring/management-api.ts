import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { env, once } from './env';
import { managementApiSink } from '../core/frames';

const client = once(() => new ApiGatewayManagementApiClient({ endpoint: env('WEBSOCKET_CALLBACK_URL') }));

/** A frame sink for one connection, through the WebSocket API's Management API (`WEBSOCKET_CALLBACK_URL`). */
export const sinkFor = (connectionId: string) => managementApiSink(client(), connectionId);

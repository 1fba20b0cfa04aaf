export { ChatBackend, ChatBackendProps, GuardrailReference, IBedrockChatBackend, ISignInRedirectUrls } from './constructs/chat-backend/chat-backend';
export { ChatAlarmOptions } from './constructs/chat-backend/alarms';
export { ProvisionedConcurrencyOptions } from './constructs/chat-backend/provisioned-concurrency';
export { ApiThrottling, ReservedConcurrencyOptions, RouteThrottle } from './constructs/chat-backend/traffic-limits';
export { BedrockChatFrontend, BedrockChatFrontendProps } from './constructs/frontend/bedrock-chat-frontend';
export {
  GoogleIdentityProviderProps,
  IdentityProvider,
  MfaMode,
  OidcIdentityProviderProps,
  SamlIdentityProviderProps,
  SignInCustomDomain,
  WafOptions,
} from './constructs/chat-backend/auth';
export { ChatModel, ChatModelCapabilities, ChatModelOptions, ModelCatalogEntry, ModelIamResources } from './models/chat-model';
export { InferenceProfileMode } from './models/inference-profile-mode';
export { ModelPrices, TokenUsage } from './models/pricing';
export { FrontendDomain } from './constructs/frontend/domain';
export { FrontendBranding } from './constructs/frontend/branding';
export { FrontendWafOptions, FrontendWebAcl } from './constructs/frontend/web-acl';

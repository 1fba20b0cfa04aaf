export { ChatBackend, ChatBackendProps, GuardrailReference, IBedrockChatBackend, ISignInRedirectUrls } from './constructs/chat-backend/chat-backend';
export { ChatAlarmOptions } from './constructs/chat-backend/alarms';
export { BotOptions, BotQuickStarter, BotSharing } from './constructs/chat-backend/bot-definitions';
export { ProvisionedConcurrencyOptions } from './constructs/chat-backend/provisioned-concurrency';
export { UsageLimits } from './constructs/chat-backend/usage';
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
export { KnowledgeBaseFactory, KnowledgeBaseFactoryProps } from './constructs/knowledge-base/knowledge-base-factory';
export { ExistingKnowledgeBase } from './constructs/knowledge-base/dedicated-knowledge';
export { EmbeddingModel } from './constructs/knowledge-base/embedding-model';
export { OpenSearchServerlessStoreOptions, S3VectorsStoreOptions, VectorStore, VectorStoreBindOptions, VectorStoreBinding } from './constructs/knowledge-base/vector-store';

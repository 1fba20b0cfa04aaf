import { env, once } from './env';
import { createTokenVerifier, TokenVerifier } from '../core/auth';

export const tokenVerifier = once((): TokenVerifier => createTokenVerifier({
  issuer: env('JWT_ISSUER'),
  audience: env('JWT_AUDIENCE'),
  jwksUri: process.env.JWT_JWKS_URI || undefined,
}));

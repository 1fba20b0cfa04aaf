import { createTokenVerifier, TokenVerifier } from '../core/auth';
import { env, once } from './env';

export const tokenVerifier = once((): TokenVerifier => createTokenVerifier({
  issuer: env('JWT_ISSUER'),
  audience: env('JWT_AUDIENCE'),
  jwksUri: process.env.JWT_JWKS_URI || undefined,
}));

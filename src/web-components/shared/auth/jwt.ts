/** JWT payload reading without verification (the widget shows who is signed in; servers verify). */

/** The claims of a JWT, read without verifying it (the backend verifies); undefined if not a JWT. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    const binary = atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'));
    const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))) as unknown;
    return payload && typeof payload === 'object' ? payload as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

// Verifies a token with jose's createRemoteJWKSet against a JWKS URL; exit 1 when refused.
import { createRemoteJWKSet, jwtVerify } from "jose";

const [url, token] = process.argv.slice(2);
try {
  await jwtVerify(token, createRemoteJWKSet(new URL(url)));
} catch (e) {
  console.error(`jose: ${e.code ?? e.name}: ${e.message}`);
  process.exit(1);
}

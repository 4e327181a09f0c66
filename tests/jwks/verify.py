"""Verifies a token with PyJWT's PyJWKClient against a JWKS URL; exit 1 when refused."""
import sys

import jwt

url, token = sys.argv[1], sys.argv[2]
client = jwt.PyJWKClient(url, cache_jwk_set=False)
try:
    key = client.get_signing_key_from_jwt(token)
    jwt.decode(token, key.key, algorithms=[key.algorithm_name])
except Exception as e:  # noqa: BLE001 - any refusal is a failure to report
    print(f"PyJWT: {type(e).__name__}: {e}", file=sys.stderr)
    sys.exit(1)
